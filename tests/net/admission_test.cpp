// Admission: new work is refused while a watched queue (a probe sent through it) stays
// behind for an interval, or while the database says so; admitted again once it catches up.
#include "net/admission.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace unipay {
namespace {

using namespace std::chrono_literals;

// A queue that holds every probe until released, like an io thread stuck on other work.
struct StallableQueue {
  std::mutex mu;
  bool stalled = false;
  std::vector<std::function<void()>> held;

  Admission::Send sender() {
    return [this](std::function<void()> done) {
      std::unique_lock lock(mu);
      if (!stalled) {
        lock.unlock();
        return done();
      }
      held.push_back(std::move(done));
    };
  }
  void release() {
    std::vector<std::function<void()>> out;
    {
      std::lock_guard lock(mu);
      stalled = false;
      out.swap(held);
    }
    for (auto& done : out) done();
  }
};

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

// A stalled queue stops admission after target + interval; released, it admits again.
TEST(AdmissionTest, StalledQueueRefusesThenRecovers) {
  StallableQueue queue;
  Admission admission([] { return true; }, {{"test", queue.sender()}}, {30ms, 60ms});
  EXPECT_TRUE(eventually([&] { return admission.admits_new_work(); }, 500ms));
  {
    std::lock_guard lock(queue.mu);
    queue.stalled = true;
  }
  EXPECT_TRUE(eventually([&] { return !admission.admits_new_work(); }, 1s));
  queue.release();
  EXPECT_TRUE(eventually([&] { return admission.admits_new_work(); }, 1s));
}

// The database's verdict counts as well: no queue stalled, yet new work is refused.
TEST(AdmissionTest, DatabaseVerdictRefuses) {
  StallableQueue queue;
  std::atomic<bool> database{false};
  Admission admission([&] { return database.load(); }, {{"test", queue.sender()}}, {30ms, 60ms});
  EXPECT_FALSE(admission.admits_new_work());
  database = true;
  EXPECT_TRUE(admission.admits_new_work());
}

}  // namespace
}  // namespace unipay
