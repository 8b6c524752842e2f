// actors/token_buckets: the per-source and per-app limiter of refused-callback audits
// (issue 8.6). Time is passed in, so every figure here is exact.
#include "actors/token_buckets.hpp"

#include <gtest/gtest.h>

#include <string>

namespace unipay {
namespace {

using Clock = TokenBuckets::Clock;
using std::chrono::milliseconds;

int takes(TokenBuckets& buckets, const std::string& key, Clock::time_point now, int tries) {
  int passed = 0;
  for (int i = 0; i < tries; ++i) passed += buckets.take(key, now) ? 1 : 0;
  return passed;
}

// Proves: a new key passes `burst` times at once, then nothing until time passes.
TEST(TokenBuckets, NewKeyPassesItsBurstThenStops) {
  TokenBuckets buckets({10, 5, 100});
  const auto t0 = Clock::now();
  EXPECT_EQ(takes(buckets, "1.2.3.4", t0, 50), 5);
  EXPECT_FALSE(buckets.take("1.2.3.4", t0 + milliseconds(50)));  // half a token so far
}

// Proves: the bucket refills at rate_per_s, fractions included, and never beyond burst.
TEST(TokenBuckets, RefillsAtTheRateUpToTheBurst) {
  TokenBuckets buckets({10, 5, 100});
  auto t = Clock::now();
  EXPECT_EQ(takes(buckets, "k", t, 5), 5);
  t += milliseconds(100);  // one token
  EXPECT_EQ(takes(buckets, "k", t, 5), 1);
  t += milliseconds(50);  // half a token: not yet
  EXPECT_EQ(takes(buckets, "k", t, 5), 0);
  t += milliseconds(50);  // the second half
  EXPECT_EQ(takes(buckets, "k", t, 5), 1);
  t += std::chrono::hours(24 * 400);  // long idle: full again, no more
  EXPECT_EQ(takes(buckets, "k", t, 50), 5);
  // Over 10 s of steady pressure: burst + rate x 10 s.
  TokenBuckets steady({10, 5, 100});
  const auto start = Clock::now();
  int passed = 0;
  for (int ms = 0; ms <= 10000; ms += 1) passed += takes(steady, "k", start + milliseconds(ms), 3);
  EXPECT_EQ(passed, 5 + 100);
}

// Proves: keys are independent: one exhausted key does not limit another.
TEST(TokenBuckets, KeysAreIndependent) {
  TokenBuckets buckets({1, 2, 100});
  const auto t0 = Clock::now();
  EXPECT_EQ(takes(buckets, "a", t0, 10), 2);
  EXPECT_EQ(takes(buckets, "b", t0, 10), 2);
  EXPECT_EQ(takes(buckets, "a", t0, 10), 0);
}

// Proves: the table never holds more than max_keys, however many keys come; idle keys
// are dropped first and a busy key keeps its (empty) bucket when there is room.
TEST(TokenBuckets, KeyCountIsBounded) {
  TokenBuckets buckets({1, 1, 8});
  auto t = Clock::now();
  for (int i = 0; i < 10000; ++i) {
    buckets.take("source-" + std::to_string(i), t);
    ASSERT_LE(buckets.keys(), 8u);
  }
  // Full and all empty: after 2 s every bucket has refilled, so making room drops them all
  // and a busy key taken afterwards is limited again.
  t += milliseconds(2000);
  EXPECT_TRUE(buckets.take("busy", t));
  EXPECT_EQ(buckets.keys(), 1u);
  EXPECT_FALSE(buckets.take("busy", t));
}

}  // namespace
}  // namespace unipay
