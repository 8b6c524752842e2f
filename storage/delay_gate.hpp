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

  // One observation at `now`: the wait of work just started, or the age of the oldest
  // work still queued (0 when the queue is empty).
  void observe(Clock::duration wait, Clock::time_point now);
  // False while every wait seen for at least an interval was above the target.
  bool admits(Clock::time_point now) const;

 private:
  DelayGateLimits limits_;
  std::optional<Clock::time_point> above_since_;  // the first of an unbroken run of long waits
};

}  // namespace unipay::storage
