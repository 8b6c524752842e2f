// DelayGate: new work is refused only when waits have stayed above the target for a whole
// interval, and admitted again as soon as a short wait is seen.
#include "storage/delay_gate.hpp"

#include <gtest/gtest.h>

namespace unipay::storage {
namespace {

using namespace std::chrono_literals;
using Clock = DelayGate::Clock;

const DelayGateLimits kLimits{100ms, 500ms};

// A burst: long waits for less than the interval refuse nothing.
TEST(DelayGateTest, ShortBurstOfLongWaitsRefusesNothing) {
  DelayGate gate(kLimits);
  Clock::time_point t0 = Clock::now();
  gate.observe(300ms, t0);
  gate.observe(400ms, t0 + 200ms);
  EXPECT_TRUE(gate.admits(t0 + 499ms));
  gate.observe(10ms, t0 + 450ms);  // drained within the interval
  EXPECT_TRUE(gate.admits(t0 + 2s));
}

// A standing queue: every wait above the target for an interval refuses new work.
TEST(DelayGateTest, StandingQueueRefusesAfterOneInterval) {
  DelayGate gate(kLimits);
  Clock::time_point t0 = Clock::now();
  for (int i = 0; i <= 5; ++i) gate.observe(150ms, t0 + i * 100ms);
  EXPECT_FALSE(gate.admits(t0 + 500ms));
  EXPECT_FALSE(gate.admits(t0 + 5s));  // nothing short seen: still refusing
}

// One short wait (the queue drained) admits again at once.
TEST(DelayGateTest, ShortWaitAdmitsAgainAtOnce) {
  DelayGate gate(kLimits);
  Clock::time_point t0 = Clock::now();
  gate.observe(1s, t0);
  EXPECT_FALSE(gate.admits(t0 + 600ms));
  gate.observe(0ms, t0 + 700ms);
  EXPECT_TRUE(gate.admits(t0 + 700ms));
}

// A wait exactly at the target is fine: only waits above it count.
TEST(DelayGateTest, WaitAtTheTargetIsNotTooLong) {
  DelayGate gate(kLimits);
  Clock::time_point t0 = Clock::now();
  gate.observe(100ms, t0);
  EXPECT_TRUE(gate.admits(t0 + 10s));
}

// Work still waiting counts only when it is already too old: a young queue says nothing
// about how slow the last work was, so it neither trips nor resets the gate.
TEST(DelayGateTest, WaitingWorkCountsOnlyWhenTooOld) {
  DelayGate gate(kLimits);
  Clock::time_point t0 = Clock::now();
  gate.observe(300ms, t0);                // finished work was slow
  gate.observe_waiting(5ms, t0 + 100ms);  // a young queue: no reset
  EXPECT_FALSE(gate.admits(t0 + 600ms));
  DelayGate stalled(kLimits);
  stalled.observe_waiting(150ms, t0);  // nothing finishes, the oldest op keeps ageing
  stalled.observe_waiting(700ms, t0 + 550ms);
  EXPECT_FALSE(stalled.admits(t0 + 550ms));
}

}  // namespace
}  // namespace unipay::storage
