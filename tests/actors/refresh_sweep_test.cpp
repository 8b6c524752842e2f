// RefreshSweep: the batches of live bills checked after a LISTEN loss.
#include "actors/refresh_sweep.hpp"

#include <gtest/gtest.h>

namespace unipay {
namespace {

std::vector<std::string> ids(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) out.push_back("b_" + std::to_string(i));
  return out;
}

// Every bill is in exactly one batch, in order, and the last batch is the remainder.
TEST(RefreshSweepTest, CoversEveryBillOnceInBatches) {
  RefreshSweep sweep({3, 0, 1});
  sweep.start(ids(7));
  std::vector<std::string> seen;
  std::vector<size_t> sizes;
  while (!sweep.done()) {
    auto batch = sweep.batch();
    sizes.push_back(batch.size());
    seen.insert(seen.end(), batch.begin(), batch.end());
    sweep.batch_read();
  }
  EXPECT_EQ(seen, ids(7));
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_TRUE(sweep.batch().empty());
}

// A failing batch is read again `retries` times, then skipped (its bills re-read one by one).
TEST(RefreshSweepTest, RetriesAFailingBatchThenMovesOn) {
  RefreshSweep sweep({2, 0, 2});
  sweep.start(ids(4));
  EXPECT_TRUE(sweep.batch_failed());
  EXPECT_TRUE(sweep.batch_failed());
  EXPECT_EQ(sweep.batch()[0], "b_0");
  EXPECT_FALSE(sweep.batch_failed());
  EXPECT_EQ(sweep.batch()[0], "b_2");
  EXPECT_TRUE(sweep.batch_failed());  // the count starts again for the next batch
}

// A new loss starts over with a new generation, so answers of the old sweep are ignored.
TEST(RefreshSweepTest, StartingAgainBeginsAFreshGeneration) {
  RefreshSweep sweep({2, 0, 0});
  sweep.start(ids(4));
  sweep.batch_read();
  uint64_t first = sweep.generation();
  sweep.start(ids(3));
  EXPECT_NE(sweep.generation(), first);
  EXPECT_EQ(sweep.batch()[0], "b_0");
  EXPECT_EQ(sweep.total(), 3u);
}

// The pace: batches_per_s spreads the batches; 0 means no pause.
TEST(RefreshSweepTest, PauseFollowsTheConfiguredRate) {
  EXPECT_EQ(RefreshSweep({10, 50, 0}).pause(), std::chrono::milliseconds(20));
  EXPECT_EQ(RefreshSweep({10, 0, 0}).pause(), std::chrono::milliseconds(0));
}

}  // namespace
}  // namespace unipay
