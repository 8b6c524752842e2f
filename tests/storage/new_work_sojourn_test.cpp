// The sojourn rules for new work in the write queue (storage/new_work_sojourn.hpp): pure.
#include "storage/new_work_sojourn.hpp"

#include <gtest/gtest.h>

namespace unipay::storage {
namespace {

using namespace std::chrono_literals;

// Proves the admission rule: new work starts while the oldest queued write has waited at
// most admit_wait, and is refused as soon as it has waited longer (no interval to stand).
TEST(NewWorkSojourn, AdmitsUntilTheOldestQueuedWriteHasWaitedTooLong) {
  const NewWorkSojournLimits limits{200ms, 500ms};
  EXPECT_TRUE(sojourn_admits_new_work(limits, 0ms));
  EXPECT_TRUE(sojourn_admits_new_work(limits, 200ms));
  EXPECT_FALSE(sojourn_admits_new_work(limits, 201ms));
  EXPECT_FALSE(sojourn_admits_new_work(limits, 10s));
}

// Proves the expiry rule: a queued creation is committed until it has waited max_wait,
// and refused from then on.
TEST(NewWorkSojourn, ExpiresQueuedNewWorkAtMaxWait) {
  const NewWorkSojournLimits limits{200ms, 500ms};
  EXPECT_FALSE(new_work_expired(limits, 0ms));
  EXPECT_FALSE(new_work_expired(limits, 499ms));
  EXPECT_TRUE(new_work_expired(limits, 500ms));
  EXPECT_TRUE(new_work_expired(limits, 1h));
}

// Proves that 0 turns each rule off: nothing is refused for its wait, however long.
TEST(NewWorkSojourn, ZeroTurnsEachRuleOff) {
  const NewWorkSojournLimits off{0ms, 0ms};
  EXPECT_TRUE(sojourn_admits_new_work(off, 1h));
  EXPECT_FALSE(new_work_expired(off, 1h));
}

}  // namespace
}  // namespace unipay::storage
