// net/concurrency_limit: how much new work is let in at once under overload (issue 8.3).
#include "net/concurrency_limit.hpp"

#include <gtest/gtest.h>

namespace unipay {
namespace {

using namespace std::chrono_literals;
using Clock = ConcurrencyLimit::Clock;

ConcurrencyLimitSettings settings() {
  ConcurrencyLimitSettings s;
  s.target = 100ms;
  s.max_limit = 40;
  s.min_limit = 4;
  s.initial_limit = 10;
  return s;
}

// Proves: at most `limit` acquisitions are outstanding; a release makes room again.
TEST(ConcurrencyLimit, RefusesOverTheLimit) {
  ConcurrencyLimit c(settings());
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(c.try_acquire());
  EXPECT_FALSE(c.try_acquire());
  EXPECT_EQ(c.in_flight(), 10);
  c.release(200ms, Clock::now());  // slow: the limit shrinks to 7
  EXPECT_EQ(c.limit(), 7);
  EXPECT_FALSE(c.try_acquire());  // 9 in flight, limit 7
}

// Proves: slow answers shrink the limit by a quarter at most once per target period, down
// to min_limit and never below it.
TEST(ConcurrencyLimit, SlowAnswersShrinkItOncePerPeriodToTheMinimum) {
  ConcurrencyLimit c(settings());
  const auto t0 = Clock::now();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.try_acquire());
  c.release(1s, t0);
  c.release(1s, t0 + 50ms);  // same period: no second decrease
  EXPECT_EQ(c.limit(), 7);
  for (int i = 1; i <= 20; ++i) c.release(1s, t0 + i * 100ms);
  EXPECT_EQ(c.limit(), 4);
}

// Proves: fast answers grow the limit by one each while it is at least half used, up to
// max_limit; fast answers from a mostly idle server do not grow it.
TEST(ConcurrencyLimit, FastAnswersGrowItWhileItIsUsed) {
  ConcurrencyLimit c(settings());
  const auto t0 = Clock::now();
  ASSERT_TRUE(c.try_acquire());
  c.release(1ms, t0);  // 1 of 10 in flight: idle, no growth
  EXPECT_EQ(c.limit(), 10);
  for (int round = 0; round < 100; ++round) {
    while (c.try_acquire()) {
    }
    c.release(1ms, t0);  // at the limit: grows by one
  }
  EXPECT_EQ(c.limit(), 40);
}

}  // namespace
}  // namespace unipay
