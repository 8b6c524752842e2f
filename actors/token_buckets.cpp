#include "actors/token_buckets.hpp"

#include <algorithm>
#include <cassert>

namespace unipay {
namespace {

constexpr int64_t kMilli = 1000;

}  // namespace

TokenBuckets::TokenBuckets(TokenBucketLimits limits) : limits_(limits) {
  assert(limits_.rate_per_s >= 1 && limits_.burst >= 1 && limits_.max_keys >= 1);
}

void TokenBuckets::refill(Bucket& bucket, Clock::time_point now) const {
  const int64_t full = limits_.burst * kMilli;
  if (now <= bucket.refilled_at) return;
  const int64_t elapsed_us =
      std::chrono::duration_cast<std::chrono::microseconds>(now - bucket.refilled_at).count();
  // rate tokens per second = rate milli-tokens per millisecond; a day of refill is plenty
  // to fill any bucket and keeps the product far from overflow.
  const int64_t capped_us = std::min<int64_t>(elapsed_us, int64_t{86400} * 1000 * 1000);
  const int64_t added = capped_us * limits_.rate_per_s / kMilli;
  if (added == 0) return;  // keep the remainder accruing: do not move refilled_at
  bucket.milli_tokens = std::min(full, bucket.milli_tokens + added);
  bucket.refilled_at = now;
}

// A full table first drops the keys whose buckets have refilled completely (they behave
// exactly like new keys); if that frees less than a quarter, it forgets every key. Either
// way the cost is amortised over the inserts that follow, and forgetting only hands out
// fresh bursts: whoever uses this must bound the total separately.
void TokenBuckets::make_room(Clock::time_point now) {
  const int64_t full = limits_.burst * kMilli;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.milli_tokens >= full ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() > limits_.max_keys - limits_.max_keys / 4) buckets_.clear();
}

bool TokenBuckets::take(const std::string& key, Clock::time_point now) {
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_keys) make_room(now);
    it = buckets_.emplace(key, Bucket{limits_.burst * kMilli, now}).first;
  }
  Bucket& bucket = it->second;
  refill(bucket, now);
  if (bucket.milli_tokens < kMilli) return false;
  bucket.milli_tokens -= kMilli;
  return true;
}

}  // namespace unipay
