// net/suspect_sources: which remote addresses get their callbacks refused unread (issue 8.6).
#include "net/suspect_sources.hpp"

#include <gtest/gtest.h>

#include <string>

namespace unipay {
namespace {

using namespace std::chrono_literals;
using Clock = SuspectSources::Clock;

SuspectSourceLimits limits() {
  SuspectSourceLimits l;
  l.refusals_per_s = 5;
  l.shut_out_ms = 10s;
  l.trust_ms = 60s;
  l.max_tracked = 3;
  return l;
}

// Proves: a source is shut out only after more than refusals_per_s refusals within one
// second (that refusal reports the start, later ones during it do not), stays shut out for
// shut_out_ms, then is served (and counted) again; another source is not affected.
TEST(SuspectSources, ShutsOutASourceOverItsRefusalsForAWhile) {
  SuspectSources s(limits());
  const auto t0 = Clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(s.refused("10.0.0.1", t0 + std::chrono::milliseconds(i)));
  EXPECT_FALSE(s.shut_out("10.0.0.1", t0 + 10ms));
  EXPECT_TRUE(s.refused("10.0.0.1", t0 + 10ms));  // starts the shut-out
  EXPECT_TRUE(s.shut_out("10.0.0.1", t0 + 11ms));
  // Late refusals (requests under way when it started) neither start another nor extend it.
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(s.refused("10.0.0.1", t0 + 5s));
  EXPECT_TRUE(s.shut_out("10.0.0.1", t0 + 10s));
  EXPECT_FALSE(s.shut_out("10.0.0.2", t0 + 11ms));
  EXPECT_FALSE(s.shut_out("10.0.0.1", t0 + 10ms + 10s));
  // After the shut-out, its refusals are counted from scratch.
  s.refused("10.0.0.1", t0 + 10ms + 10s);
  EXPECT_FALSE(s.shut_out("10.0.0.1", t0 + 11s));
}

// Proves: refusals spread below the rate (5 a second, each in its own window) never shut
// a source out.
TEST(SuspectSources, RefusalsBelowTheRateAreServed) {
  SuspectSources s(limits());
  const auto t0 = Clock::now();
  for (int second = 0; second < 20; ++second) {
    for (int i = 0; i < 5; ++i)
      s.refused("10.0.0.1", t0 + std::chrono::seconds(second) + std::chrono::milliseconds(i));
  }
  EXPECT_FALSE(s.shut_out("10.0.0.1", t0 + 20s));
}

// Proves: a source with a verified callback within trust_ms is never shut out however many
// of its callbacks are refused (a provider's or a proxy's address), and a verified
// callback lifts a shut-out at once; the trust ends after trust_ms.
TEST(SuspectSources, AVerifiedCallbackExemptsItsSource) {
  SuspectSources s(limits());
  const auto t0 = Clock::now();
  s.verified("10.0.0.1", t0);
  for (int i = 0; i < 100; ++i) s.refused("10.0.0.1", t0 + 1ms);
  EXPECT_FALSE(s.shut_out("10.0.0.1", t0 + 2ms));
  for (int i = 0; i < 100; ++i) s.refused("10.0.0.1", t0 + 61s);
  EXPECT_TRUE(s.shut_out("10.0.0.1", t0 + 61s));
  s.verified("10.0.0.1", t0 + 62s);
  EXPECT_FALSE(s.shut_out("10.0.0.1", t0 + 62s));
}

// Proves: at most max_tracked sources are kept; idle ones are forgotten to make room, and
// when all are active a newcomer is simply not tracked (served, never shut out).
TEST(SuspectSources, TracksAtMostMaxTrackedSources) {
  SuspectSources s(limits());
  const auto t0 = Clock::now();
  for (int i = 0; i < 3; ++i) s.verified("10.0.0." + std::to_string(i), t0);
  for (int i = 0; i < 100; ++i) s.refused("10.0.0.9", t0 + 1ms);
  EXPECT_EQ(s.tracked(), 3u);
  EXPECT_FALSE(s.shut_out("10.0.0.9", t0 + 2ms));
  // Their trust over, the three are idle: the newcomer takes a place and is shut out.
  for (int i = 0; i < 6; ++i) s.refused("10.0.0.9", t0 + 61s);
  EXPECT_TRUE(s.shut_out("10.0.0.9", t0 + 61s));
  EXPECT_EQ(s.tracked(), 1u);
}

}  // namespace
}  // namespace unipay
