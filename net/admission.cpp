#include "net/admission.hpp"

#include <spdlog/spdlog.h>

namespace unipay {
namespace {

// Often enough that a stalled queue is seen within a fraction of admission.target.
constexpr auto kProbePeriod = std::chrono::milliseconds(10);

}  // namespace

struct Admission::Shared {
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;       // guarded by mu
  std::vector<Probe> probes;   // guarded by mu
  bool admitting = true;       // guarded by mu: the last decision, for the log
  ConcurrencyLimit in_flight;  // guarded by mu

  explicit Shared(ConcurrencyLimitSettings settings) : in_flight(settings) {}
};

Admission::Admission(std::function<bool()> database_admits, std::vector<Queue> queues,
                     storage::DelayGateLimits limits, ConcurrencyLimitSettings in_flight)
    : database_admits_(std::move(database_admits)), shared_(std::make_shared<Shared>(in_flight)) {
  for (auto& queue : queues)
    shared_->probes.push_back(Probe{std::move(queue), storage::DelayGate(limits), {}});
  thread_ = std::thread([this] { run(); });
}

Admission::~Admission() {
  {
    std::lock_guard lock(shared_->mu);
    shared_->stopping = true;
  }
  shared_->cv.notify_all();
  thread_.join();
}

bool Admission::admits_new_work() {
  const bool database = database_admits_();
  const auto now = Clock::now();
  std::lock_guard lock(shared_->mu);
  bool queues = true;
  for (const Probe& probe : shared_->probes) queues = queues && probe.gate.admits(now);
  const bool admitting = database && queues;
  if (admitting != shared_->admitting) {
    shared_->admitting = admitting;
    if (admitting) spdlog::info("admission control: admitting new work again");
    if (!admitting) spdlog::warn("admission control: queues are behind, refusing new work (503 busy)");
  }
  return admitting;
}

std::function<void()> Admission::enter(Clock::time_point received_at) {
  if (!admits_new_work()) return {};
  {
    std::lock_guard lock(shared_->mu);
    if (!shared_->in_flight.try_acquire()) return {};
  }
  return [shared = shared_, received_at] {
    const auto now = Clock::now();
    std::lock_guard lock(shared->mu);
    shared->in_flight.release(now - received_at, now);
  };
}

void Admission::run() {
  std::unique_lock lock(shared_->mu);
  while (!shared_->cv.wait_for(lock, kProbePeriod, [this] { return shared_->stopping; })) {
    lock.unlock();
    tick(Clock::now());
    lock.lock();
  }
}

// Each queue: an outstanding probe reports its age so far; otherwise a new one is sent.
void Admission::tick(Clock::time_point now) {
  std::vector<std::pair<size_t, Send>> to_send;
  {
    std::lock_guard lock(shared_->mu);
    for (size_t i = 0; i < shared_->probes.size(); ++i) {
      Probe& probe = shared_->probes[i];
      if (probe.sent_at) {
        probe.gate.observe_waiting(now - *probe.sent_at, now);
        continue;
      }
      probe.sent_at = now;
      to_send.emplace_back(i, probe.queue.send);
    }
  }
  for (auto& [index, send] : to_send) {
    // Outside the lock: a queue may run `done` at once, on this thread.
    send([shared = shared_, index = index, sent = now] {
      const auto served = Clock::now();
      std::lock_guard lock(shared->mu);
      Probe& probe = shared->probes[index];
      probe.gate.observe(served - sent, served);
      probe.sent_at.reset();
    });
  }
}

}  // namespace unipay
