// How much new work (bill creations, lists) may be inside the server at once, adapted to
// how long it takes (a latency-based limit, additive increase / multiplicative decrease).
// The queue-delay gates of net/admission.hpp see a standing queue only after it has stood
// for an interval, and every request admitted meanwhile then waits it out (seen: creates
// 3-4 s inside the server at 3x the max rate). A bound on work in flight caps that wait at
// once: when admitted work answers slower than the target, the limit shrinks by a quarter
// (at most once per target period); each answer within the target while the limit is half
// used lets it grow by one, up to max. Over the limit: refused 503 busy at once.
// Pure and single-threaded; net/admission.cpp locks around it.
#pragma once

#include <chrono>
#include <cstdint>

namespace unipay {

struct ConcurrencyLimitSettings {
  std::chrono::milliseconds target{300};  // admitted work answered slower than this shrinks the limit
  int64_t max_limit = 2000;               // the limit never grows beyond this
  int64_t min_limit = 8;                  // ...nor shrinks below this (some work always gets in)
  int64_t initial_limit = 100;
};

class ConcurrencyLimit {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ConcurrencyLimit(ConcurrencyLimitSettings settings);

  // True: counted in flight until release(). False: over the limit, refuse.
  bool try_acquire();
  // Work acquired earlier answered after `latency`.
  void release(Clock::duration latency, Clock::time_point now);

  int64_t limit() const { return static_cast<int64_t>(limit_); }
  int64_t in_flight() const { return in_flight_; }

 private:
  ConcurrencyLimitSettings settings_;
  double limit_;
  int64_t in_flight_ = 0;
  Clock::time_point last_decrease_;
};

}  // namespace unipay
