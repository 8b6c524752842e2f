#include "net/concurrency_limit.hpp"

#include <algorithm>

namespace unipay {
namespace {

constexpr double kDecrease = 0.75;  // a quarter off per slow period: converges in a few periods

}  // namespace

ConcurrencyLimit::ConcurrencyLimit(ConcurrencyLimitSettings settings)
    : settings_(settings),
      limit_(
          static_cast<double>(std::clamp(settings.initial_limit, settings.min_limit, settings.max_limit))) {}

bool ConcurrencyLimit::try_acquire() {
  if (in_flight_ >= limit()) return false;
  in_flight_ += 1;
  return true;
}

void ConcurrencyLimit::release(Clock::duration latency, Clock::time_point now) {
  const int64_t was_in_flight = in_flight_;
  in_flight_ = std::max<int64_t>(0, in_flight_ - 1);
  if (latency > settings_.target) {
    // Many slow answers arrive together: one decrease per target period, not one each.
    if (now - last_decrease_ < settings_.target) return;
    last_decrease_ = now;
    limit_ = std::max(static_cast<double>(settings_.min_limit), limit_ * kDecrease);
    return;
  }
  // Grow only when the limit is what holds work back (or about to): an idle server's
  // fast answers say nothing about how much more it could take.
  if (was_in_flight * 2 >= limit()) limit_ = std::min(static_cast<double>(settings_.max_limit), limit_ + 1);
}

}  // namespace unipay
