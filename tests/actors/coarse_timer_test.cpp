// actors/coarse_timer: on CAF's deterministic test_coordinator, deadlines are delivered at the
// first tick at or after their due time, many of them through one clock entry, nothing to a
// target that is gone, and exactly (own clock entry) beyond the timer's capacity.
#include "actors/coarse_timer.hpp"

#include <gtest/gtest.h>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <memory>
#include <vector>

#include "actors/caf_testing.hpp"
#include "actors/deadline_queue.hpp"

namespace unipay {
namespace {

using namespace std::chrono_literals;

struct Ping {
  int n = 0;
};

}  // namespace
}  // namespace unipay

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::Ping)

namespace unipay {
namespace {

class CoarseTimerTest : public ::testing::Test {
 protected:
  explicit CoarseTimerTest(size_t max_pending = 1000)
      : system_(testing_config(config_)),
        sched_(dynamic_cast<caf::scheduler::test_coordinator&>(system_.scheduler())) {
    timer_ = spawn_coarse_timer(system_, CoarseTimerLimits{20ms, max_pending});
    receiver_ = spawn_receiver();
    sched_.run();
    // The test starts on a tick of the grid: "after 50 ms" then means the tick at 60 ms.
    const auto now = sched_.clock().now();
    start_ = tick_at_or_after(now, std::chrono::duration_cast<caf::actor_clock::duration_type>(20ms));
    if (start_ > now) sched_.advance_time(start_ - now);
  }

  ~CoarseTimerTest() override {
    caf::anon_send_exit(receiver_, caf::exit_reason::kill);
    caf::anon_send_exit(timer_, caf::exit_reason::kill);
    sched_.run();
  }

  // Records the Pings it gets; asks the timer for Ping{n} after `delay_ms` when told to.
  // `heard` goes in as a spawn argument, not a capture (see bill_actor_test.cpp).
  caf::actor spawn_receiver() {
    return system_.spawn(
        [](caf::event_based_actor* self, std::shared_ptr<std::vector<int>> heard,
           caf::actor timer) -> caf::behavior {
          return {
              [heard](Ping p) { heard->push_back(p.n); },
              [self, timer](caf::atom_value, int n, int64_t delay_ms) {
                send_after(self, timer, std::chrono::milliseconds(delay_ms), Ping{n});
              },
          };
        },
        heard_, timer_);
  }

  // The receiver asks for Ping{n} after `delay_ms`.
  void ask(int n, int64_t delay_ms) {
    caf::anon_send(receiver_, caf::atom("after"), n, delay_ms);
    sched_.run();
  }

  // Moves the test clock to `ms` after the start and runs what became due.
  void at(int64_t ms) {
    auto target = start_ + std::chrono::milliseconds(ms);
    if (target > sched_.clock().now()) sched_.advance_time(target - sched_.clock().now());
    sched_.run();
  }

  size_t clock_entries() const { return sched_.clock().schedule().size(); }

  caf::actor_system_config config_;
  caf::actor_system system_;
  caf::scheduler::test_coordinator& sched_;
  std::shared_ptr<std::vector<int>> heard_ = std::make_shared<std::vector<int>>();
  caf::actor timer_;
  caf::actor receiver_;
  caf::actor_clock::time_point start_;
};

// Proves a deadline is delivered at the first tick at or after it is due: not before its
// time, at most one step later.
TEST_F(CoarseTimerTest, DeliversAtTheTickAtOrAfterTheDueTime) {
  ask(1, 50);
  at(50);
  EXPECT_TRUE(heard_->empty()) << "due at 50 ms, delivered on the tick at 60 ms";
  at(59);
  EXPECT_TRUE(heard_->empty());
  at(60);
  EXPECT_EQ(*heard_, (std::vector<int>{1}));
}

// Proves many deadlines within one step share one clock entry, and later ones get theirs
// once the earlier tick fired, each in due order.
TEST_F(CoarseTimerTest, DeadlinesOfOneStepShareOneClockEntry) {
  for (int n = 1; n <= 50; ++n) ask(n, 41 + (n % 19));
  ask(100, 200);
  EXPECT_EQ(clock_entries(), 1u);
  at(60);
  EXPECT_EQ(heard_->size(), 50u);
  EXPECT_EQ(clock_entries(), 1u) << "the tick for the 200 ms deadline";
  at(200);
  EXPECT_EQ(heard_->back(), 100);
  EXPECT_EQ(clock_entries(), 0u);
}

// Proves an earlier deadline arriving after a later one was armed still fires on time.
TEST_F(CoarseTimerTest, AnEarlierDeadlineArmsAnEarlierTick) {
  ask(2, 500);
  ask(1, 30);
  at(40);
  EXPECT_EQ(*heard_, (std::vector<int>{1}));
  at(500);
  EXPECT_EQ(*heard_, (std::vector<int>{1, 2}));
}

// Proves a target that is gone when its deadline comes gets nothing, and the timer goes on
// serving the others.
TEST_F(CoarseTimerTest, AGoneTargetGetsNothing) {
  ask(1, 20);
  caf::anon_send_exit(receiver_, caf::exit_reason::kill);
  sched_.run();
  at(20);
  EXPECT_TRUE(heard_->empty());
  receiver_ = spawn_receiver();
  ask(2, 20);
  at(40);
  EXPECT_EQ(*heard_, (std::vector<int>{2}));
}

class FullCoarseTimerTest : public CoarseTimerTest {
 protected:
  FullCoarseTimerTest() : CoarseTimerTest(/*max_pending=*/2) {}
};

// Proves a deadline beyond the capacity is not dropped: it gets its own clock entry and is
// delivered at exactly its due time.
TEST_F(FullCoarseTimerTest, BeyondTheCapacityADeadlineGetsItsOwnClockEntry) {
  ask(1, 100);
  ask(2, 100);
  ask(3, 50);
  EXPECT_EQ(clock_entries(), 2u) << "the tick at 100 ms and the third deadline's own entry";
  at(50);
  EXPECT_EQ(*heard_, (std::vector<int>{3}));
  at(100);
  EXPECT_EQ(*heard_, (std::vector<int>{3, 1, 2}));
}

// Proves that without a timer (server.timer_tick_ms = 0) the actor's own clock entry is
// used, exact to the millisecond.
TEST_F(CoarseTimerTest, WithoutATimerTheDeadlineIsExact) {
  caf::anon_send_exit(receiver_, caf::exit_reason::kill);
  sched_.run();
  receiver_ = system_.spawn(
      [](caf::event_based_actor* self, std::shared_ptr<std::vector<int>> heard) -> caf::behavior {
        send_after(self, caf::actor{}, 45ms, Ping{9});
        return {[heard](Ping p) { heard->push_back(p.n); }};
      },
      heard_);
  sched_.run();
  at(44);
  EXPECT_TRUE(heard_->empty());
  at(45);
  EXPECT_EQ(*heard_, (std::vector<int>{9}));
}

}  // namespace
}  // namespace unipay
