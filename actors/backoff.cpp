#include "actors/backoff.hpp"

#include <algorithm>
#include <random>

namespace unipay {

std::chrono::milliseconds backoff_ceiling(const BackoffPolicy& policy, int retry) {
  // Negative settings make no sense as durations; they are read as 0 (retry at once)
  // rather than producing negative delays. A retry below 1 is treated as the first.
  const int64_t initial = std::max<int64_t>(policy.initial.count(), 0);
  const int64_t cap = std::max<int64_t>(policy.max.count(), 0);
  const int shift = std::max(retry, 1) - 1;
  if (initial == 0) return std::chrono::milliseconds{0};
  // initial << shift <= cap  ⇔  initial <= cap >> shift; comparing this way never
  // computes an overflowing product, whatever the retry count (up to INT_MAX).
  if (shift >= 63 || initial > (cap >> shift)) return std::chrono::milliseconds{cap};
  return std::chrono::milliseconds{initial << shift};
}

std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int retry, uint64_t random) {
  const auto ceiling = static_cast<uint64_t>(backoff_ceiling(policy, retry).count());
  // Full jitter over [0, ceiling]. The modulo's bias is at most (ceiling + 1) / 2^64
  // (about 3e-14 for the 10 min cap): far below anything observable.
  return std::chrono::milliseconds{static_cast<int64_t>(random % (ceiling + 1))};
}

uint64_t jitter_random() {
  thread_local std::mt19937_64 generator(std::random_device{}());
  return generator();
}

}  // namespace unipay
