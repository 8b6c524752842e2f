// actors/deadline_queue.hpp: the coarse timer's deadlines in due order, its capacity, and the
// grid of ticks they are delivered on.
#include "actors/deadline_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace unipay {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Clock::time_point at_ms(int64_t ms) { return Clock::time_point(milliseconds(ms)); }

// Proves a due time on the grid stays, one between two ticks goes to the next (never the
// earlier one: a deadline is never delivered early), and a step of 0 is no grid.
TEST(TickAtOrAfter, RoundsUpToTheGrid) {
  const auto tick = std::chrono::duration_cast<Clock::duration>(milliseconds(20));
  EXPECT_EQ(tick_at_or_after(at_ms(40), tick), at_ms(40));
  EXPECT_EQ(tick_at_or_after(at_ms(41), tick), at_ms(60));
  EXPECT_EQ(tick_at_or_after(at_ms(59), tick), at_ms(60));
  EXPECT_EQ(tick_at_or_after(at_ms(0), tick), at_ms(0));
  EXPECT_EQ(tick_at_or_after(at_ms(41), Clock::duration::zero()), at_ms(41));
}

// Proves entries come out in due order, equal due times in the order added, only those due
// at or before `now`, and the rest stay with the earliest of them reported.
TEST(DeadlineQueue, TakesWhatIsDueInOrder) {
  DeadlineQueue<Clock::time_point, std::string> queue(10);
  ASSERT_TRUE(queue.add(at_ms(30), "c"));
  ASSERT_TRUE(queue.add(at_ms(10), "a"));
  ASSERT_TRUE(queue.add(at_ms(20), "b1"));
  ASSERT_TRUE(queue.add(at_ms(20), "b2"));
  EXPECT_EQ(queue.earliest(), at_ms(10));
  EXPECT_EQ(queue.take_due(at_ms(20)), (std::vector<std::string>{"a", "b1", "b2"}));
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.earliest(), at_ms(30));
  EXPECT_TRUE(queue.take_due(at_ms(29)).empty());
  EXPECT_EQ(queue.take_due(at_ms(30)), (std::vector<std::string>{"c"}));
  EXPECT_FALSE(queue.earliest().has_value());
}

// Proves the capacity is a refusal, not growth, and frees up as entries are taken.
TEST(DeadlineQueue, RefusesBeyondItsCapacity) {
  DeadlineQueue<Clock::time_point, int> queue(2);
  EXPECT_TRUE(queue.add(at_ms(1), 1));
  EXPECT_TRUE(queue.add(at_ms(2), 2));
  EXPECT_FALSE(queue.add(at_ms(3), 3));
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.take_due(at_ms(1)), (std::vector<int>{1}));
  EXPECT_TRUE(queue.add(at_ms(3), 3));
}

}  // namespace
}  // namespace unipay
