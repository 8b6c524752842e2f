// bench/retry_after: how the bench's closed-loop players read and honour Retry-After.
#include "bench/retry_after.hpp"

#include <gtest/gtest.h>

namespace unipay::bench {
namespace {

using std::chrono::milliseconds;

// Proves the delay-seconds form is read, with the optional whitespace HTTP allows around it.
TEST(RetryAfter, DelaySecondsAreRead) {
  EXPECT_EQ(parse_retry_after_s("1"), 1);
  EXPECT_EQ(parse_retry_after_s(" 30\t"), 30);
  EXPECT_EQ(parse_retry_after_s("0"), 0);
}

// Proves anything else (absent, a date, a sign, a fraction, garbage after the number, more
// than an hour) is not taken for a wait: the player then keeps its own retry delay.
TEST(RetryAfter, OtherFormsAreNotAWait) {
  EXPECT_EQ(parse_retry_after_s(""), std::nullopt);
  EXPECT_EQ(parse_retry_after_s("Fri, 31 Dec 1999 23:59:59 GMT"), std::nullopt);
  EXPECT_EQ(parse_retry_after_s("-1"), std::nullopt);
  EXPECT_EQ(parse_retry_after_s("1.5"), std::nullopt);
  EXPECT_EQ(parse_retry_after_s("2s"), std::nullopt);
  EXPECT_EQ(parse_retry_after_s("3601"), std::nullopt);
}

// Proves the wait is never shorter than advertised and spreads evenly up to half as much
// again, so refused players do not all return at the same instant.
TEST(RetryAfter, WaitIsTheAdvertisedSecondsSpreadUpToHalfAgain) {
  EXPECT_EQ(retry_wait(1, 0.0), milliseconds(1000));
  EXPECT_EQ(retry_wait(1, 0.5), milliseconds(1250));
  EXPECT_LT(retry_wait(1, 0.999), milliseconds(1500));
  EXPECT_EQ(retry_wait(4, 0.5), milliseconds(5000));
}

// Proves "Retry-After: 0" still yields a positive wait (never a hot retry loop).
TEST(RetryAfter, ZeroSecondsStillWaits) { EXPECT_EQ(retry_wait(0, 0.3), milliseconds(1)); }

}  // namespace
}  // namespace unipay::bench
