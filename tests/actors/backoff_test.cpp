// actors/backoff: DESIGN.md §7.9 exponential backoff with full jitter.
#include "actors/backoff.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <climits>
#include <set>
#include <thread>
#include <vector>

namespace unipay {
namespace {

using std::chrono::milliseconds;

const BackoffPolicy kDefault{};  // first 1 s, cap 10 min

// Proves the default ceilings double from 1 s (retry 1) and stay at 10 min from retry 11.
TEST(Backoff, CeilingsDoubleThenCap) {
  const std::vector<int64_t> expected_s = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600};
  for (size_t k = 1; k <= expected_s.size(); ++k) {
    EXPECT_EQ(backoff_ceiling(kDefault, static_cast<int>(k)), milliseconds(expected_s[k - 1] * 1000))
        << "retry " << k;
  }
}

// Proves huge retry counts never overflow: the ceiling stays at the cap for every k up to
// INT_MAX, including around the shifts where initial * 2^(k-1) would pass 2^63.
TEST(Backoff, HugeRetryCountsStayAtCap) {
  for (int k : {30, 52, 53, 54, 62, 63, 64, 65, 100, 1000, INT_MAX - 1, INT_MAX}) {
    EXPECT_EQ(backoff_ceiling(kDefault, k), milliseconds(600000)) << k;
  }
  const BackoffPolicy huge{milliseconds(1), milliseconds(INT64_MAX)};
  EXPECT_EQ(backoff_ceiling(huge, 63), milliseconds(int64_t{1} << 62));
  EXPECT_EQ(backoff_ceiling(huge, 64), milliseconds(INT64_MAX));
  EXPECT_EQ(backoff_ceiling(huge, INT_MAX), milliseconds(INT64_MAX));
  EXPECT_EQ(backoff_delay(huge, INT_MAX, UINT64_MAX), milliseconds(INT64_MAX));
}

// Proves odd settings stay sane: retry < 1 acts as the first retry, a cap below the
// initial delay wins, and negative durations are read as 0.
TEST(Backoff, EdgeSettings) {
  EXPECT_EQ(backoff_ceiling(kDefault, 0), milliseconds(1000));
  EXPECT_EQ(backoff_ceiling(kDefault, -5), milliseconds(1000));
  EXPECT_EQ(backoff_ceiling({milliseconds(5000), milliseconds(3000)}, 1), milliseconds(3000));
  EXPECT_EQ(backoff_ceiling({milliseconds(-1), milliseconds(3000)}, 4), milliseconds(0));
  EXPECT_EQ(backoff_ceiling({milliseconds(1000), milliseconds(-1)}, 4), milliseconds(0));
  EXPECT_EQ(backoff_delay({milliseconds(0), milliseconds(0)}, 3, 12345), milliseconds(0));
}

// Proves the delay is random % (ceiling + 1): both ends of [0, ceiling] are reachable.
TEST(Backoff, DelayExactValues) {
  EXPECT_EQ(backoff_delay(kDefault, 1, 0), milliseconds(0));
  EXPECT_EQ(backoff_delay(kDefault, 1, 1000), milliseconds(1000));
  EXPECT_EQ(backoff_delay(kDefault, 1, 1001), milliseconds(0));
  EXPECT_EQ(backoff_delay(kDefault, 3, 4000), milliseconds(4000));
  EXPECT_EQ(backoff_delay(kDefault, 40, 600000), milliseconds(600000));
}

// Proves for any policy, retry count and random value that the delay lies in
// [0, ceiling] and the ceiling in [0, max(max, 0)].
RC_GTEST_PROP(BackoffProperty, DelayWithinCeiling, (int retry, uint64_t random)) {
  const auto initial = *rc::gen::inRange<int64_t>(0, int64_t{1} << 40);
  const auto cap = *rc::gen::inRange<int64_t>(0, INT64_MAX);
  const BackoffPolicy policy{milliseconds(initial), milliseconds(cap)};
  const milliseconds ceiling = backoff_ceiling(policy, retry);
  const milliseconds delay = backoff_delay(policy, retry, random);
  RC_ASSERT(ceiling.count() >= 0);
  RC_ASSERT(ceiling.count() <= cap);
  RC_ASSERT(delay.count() >= 0);
  RC_ASSERT(delay <= ceiling);
}

// Proves ceilings never decrease as the retry count grows (for the default policy).
RC_GTEST_PROP(BackoffProperty, CeilingMonotonic, ()) {
  const int k = *rc::gen::inRange(1, INT_MAX);
  RC_ASSERT(backoff_ceiling(kDefault, k) <= backoff_ceiling(kDefault, k + 1));
}

// Proves jitter_random gives varied values on a thread and that two threads' generators are
// seeded apart (each thread seeds its own once), so jittered retries do not fall in step.
TEST(JitterRandom, VariesWithinAndAcrossThreads) {
  std::set<uint64_t> here;
  for (int i = 0; i < 100; ++i) here.insert(jitter_random());
  EXPECT_EQ(here.size(), 100u);
  std::vector<uint64_t> other;
  std::thread([&other] {
    for (int i = 0; i < 100; ++i) other.push_back(jitter_random());
  }).join();
  size_t shared = 0;
  for (uint64_t v : other) shared += here.count(v);
  EXPECT_EQ(shared, 0u);
}

}  // namespace
}  // namespace unipay
