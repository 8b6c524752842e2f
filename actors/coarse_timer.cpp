#include "actors/coarse_timer.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <optional>

#include "actors/deadline_queue.hpp"

namespace unipay {
namespace {

using TimePoint = caf::actor_clock::time_point;

// One warning per this many deadlines that did not fit.
constexpr uint64_t kOverflowLogEvery = 10000;

struct TimerEntry {
  caf::weak_actor_ptr target;
  caf::message message;
};

class CoarseTimer : public caf::event_based_actor {
 public:
  CoarseTimer(caf::actor_config& cfg, CoarseTimerLimits limits)
      : caf::event_based_actor(cfg),
        tick_(std::chrono::duration_cast<TimePoint::duration>(limits.tick_ms)),
        queue_(limits.max_pending) {}

  caf::behavior make_behavior() override {
    return {
        [this](timer_msg::After& after) { on_after(after); },
        [this](timer_msg::Tick tick) { on_tick(tick.at); },
    };
  }

 private:
  void on_after(timer_msg::After& after) {
    const TimePoint due = clock().now() + after.delay;
    if (!queue_.add(due, TimerEntry{after.target, after.message})) return schedule_alone(after, due);
    arm(tick_at_or_after(due, tick_));
  }

  // One clock entry: the earliest tick anything is due at. A later entry armed before an
  // earlier one still fires; it then finds nothing due, or what became due since.
  void arm(TimePoint at) {
    if (armed_ && *armed_ <= at) return;
    armed_ = at;
    delayed_send(this, at - clock().now(), timer_msg::Tick{at});
  }

  void on_tick(TimePoint at) {
    if (armed_ && *armed_ == at) armed_.reset();
    for (TimerEntry& entry : queue_.take_due(clock().now())) deliver(entry);
    if (auto next = queue_.earliest()) arm(tick_at_or_after(*next, tick_));
  }

  // A target that is gone (a bill actor reaped) simply gets nothing.
  void deliver(TimerEntry& entry) {
    if (caf::strong_actor_ptr target = entry.target.lock())
      target->get()->enqueue(nullptr, caf::make_message_id(), std::move(entry.message), context());
  }

  void schedule_alone(const timer_msg::After& after, TimePoint due) {
    if (overflows_++ % kOverflowLogEvery == 0) {
      spdlog::warn(
          "timer holds {} deadlines (server.timer_max_pending): {} deadline(s) got clock entries of "
          "their own",
          queue_.size(), overflows_);
    }
    if (caf::strong_actor_ptr target = after.target.lock()) {
      clock().schedule_message(due, target,
                               caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, after.message));
    }
  }

  TimePoint::duration tick_;
  DeadlineQueue<TimePoint, TimerEntry> queue_;
  std::optional<TimePoint> armed_;
  uint64_t overflows_ = 0;
};

}  // namespace

caf::actor spawn_coarse_timer(caf::actor_system& system, CoarseTimerLimits limits) {
  return system.spawn<CoarseTimer>(limits);
}

}  // namespace unipay
