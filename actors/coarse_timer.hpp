// Many delayed messages, one clock entry per tick: a long poll's deadline and a bill actor's
// idle check go to one timer actor, which delivers them on a grid of `tick_ms` (at most one
// step late, never early). CAF 0.17's clock wakes its thread for every message scheduled on
// it, and a thread wake-up costs 10-25 µs of CPU on small VMs: two or three per lifecycle
// measured as 3-9% of unipayd's CPU (docs/BENCHMARKS.md "A coarse timer").
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_clock.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>
#include <caf/weak_intrusive_ptr.hpp>
#include <chrono>
#include <cstddef>
#include <utility>

namespace unipay {

struct CoarseTimerLimits {
  std::chrono::milliseconds tick_ms{20};  // > 0
  size_t max_pending = 500000;            // beyond: the deadline gets its own clock entry
};

namespace timer_msg {
// Deliver `message` to `target` once `delay` has passed, unless the target is gone by then.
struct After {
  caf::weak_actor_ptr target;
  std::chrono::milliseconds delay;
  caf::message message;
};
struct Tick {
  caf::actor_clock::time_point at;
};
}  // namespace timer_msg
}  // namespace unipay

// Local messages only: never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::timer_msg::After)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::timer_msg::Tick)

namespace unipay {

caf::actor spawn_coarse_timer(caf::actor_system& system, CoarseTimerLimits limits);

// `self` receives `message` after `delay`: through `timer`, or on its own clock entry when
// there is none (server.timer_tick_ms = 0, and the actor tests).
template <class T>
void send_after(caf::event_based_actor* self, const caf::actor& timer, std::chrono::milliseconds delay,
                T message) {
  if (!timer) {
    self->delayed_send(self, delay, std::move(message));
    return;
  }
  self->send(timer, timer_msg::After{caf::actor_cast<caf::weak_actor_ptr>(self), delay,
                                     caf::make_message(std::move(message))});
}

}  // namespace unipay
