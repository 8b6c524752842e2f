// Admission of new work from how long work waits in a queue (the idea of CoDel): a queue
// is in trouble when even the shortest wait seen has stayed above a target for a whole
// interval. A burst that drains within the interval refuses nothing; a standing queue
// refuses new work until a wait below the target is seen again. Pure; the owner locks.
#pragma once

#include <chrono>
#include <optional>

namespace unipay::storage {

struct DelayGateLimits {
  std::chrono::milliseconds target{100};    // a wait above this is too long...
  std::chrono::milliseconds interval{500};  // ...once it has lasted this long
};

class DelayGate {
 public:
  using Clock = std::chrono::steady_clock;

  explicit DelayGate(DelayGateLimits limits) : limits_(limits) {}

  // One observation at `now`: how long finished work took from queueing to done.
  void observe(Clock::duration wait, Clock::time_point now);
  // The age of work still waiting (a queue's oldest op, a probe not answered yet): it can
  // only tell that things are slow, since it keeps growing; a young one says nothing about
  // how long the last work took, so only an age above the target counts.
  void observe_waiting(Clock::duration age, Clock::time_point now);
  // False while every wait seen for at least an interval was above the target.
  bool admits(Clock::time_point now) const;

 private:
  DelayGateLimits limits_;
  std::optional<Clock::time_point> above_since_;  // the first of an unbroken run of long waits
};

}  // namespace unipay::storage
