// Exponential backoff with full jitter (pure; DESIGN.md §7.9).
#pragma once

#include <chrono>
#include <cstdint>

namespace unipay {

struct BackoffPolicy {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{600000};
};

// The ceiling of retry k (k >= 1): min(max, initial * 2^(k-1)), without overflow.
std::chrono::milliseconds backoff_ceiling(const BackoffPolicy& policy, int retry);

// Retry k waits a uniformly random time in [0, backoff_ceiling(k)]; `random` is any
// uniformly distributed 64-bit value (the caller owns the generator, so tests are exact).
std::chrono::milliseconds backoff_delay(const BackoffPolicy& policy, int retry, uint64_t random);

// A uniformly distributed 64-bit value for backoff_delay's `random`, from a generator per
// thread seeded once from std::random_device. Seeding one per attempt actor opened a
// random_device per delivery: 13% of the actor threads' CPU at the maximum lifecycle rate.
uint64_t jitter_random();

}  // namespace unipay
