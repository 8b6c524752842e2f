// actors/housekeeping_rules: when a purge run or an expiry sweep goes on.
#include "actors/housekeeping_rules.hpp"

#include <gtest/gtest.h>

namespace unipay {
namespace {

// Proves a purge goes on exactly while chunks come back full and stops at its chunk limit,
// so one run never loops without end however many rows are due.
TEST(HousekeepingRules, PurgeGoesOnWhileChunksAreFullUpToTheLimit) {
  EXPECT_TRUE(purge_continues(5000, 5000, 1, 10));
  EXPECT_FALSE(purge_continues(4999, 5000, 1, 10)) << "a short chunk: nothing left";
  EXPECT_FALSE(purge_continues(0, 5000, 1, 10));
  EXPECT_FALSE(purge_continues(5000, 5000, 10, 10)) << "the run's limit";
}

// Proves an expiry sweep claims batch after batch until none are due (the issue: it used to
// take one batch of 200 per interval) and stops at its per-sweep limit.
TEST(HousekeepingRules, ExpiryClaimsUntilNoneAreDueUpToTheLimit) {
  EXPECT_TRUE(expiry_continues(500, 500, 500, 50000));
  EXPECT_FALSE(expiry_continues(499, 500, 999, 50000)) << "a short batch: none left due";
  EXPECT_FALSE(expiry_continues(500, 500, 50000, 50000)) << "the sweep's limit";
}

}  // namespace
}  // namespace unipay
