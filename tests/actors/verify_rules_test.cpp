// actors/verify_rules: when the janitor queries a bill and what each provider answer does.
#include "actors/verify_rules.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace unipay {
namespace {

using namespace std::chrono_literals;
using Action = VerifyStep::Action;

const Millis kCreated = Millis{std::chrono::milliseconds{1'700'000'000'000}};
const Millis kExpires = kCreated + 30min;

VerifyPolicy policy() { return {60s, {1000ms, 600000ms}, 20}; }

VerifyState at(int attempt_done, Millis now) { return {attempt_done, now, kExpires}; }

// Proves: the first query is query_after after creation, or at expiry when the ttl is
// shorter (the final query is then the only one).
TEST(VerifyRules, FirstQueryAfterTheDelayOrAtExpiry) {
  EXPECT_EQ(first_verify_due(kCreated, kExpires, 60s), kCreated + 60s);
  EXPECT_EQ(first_verify_due(kCreated, kCreated + 30s, 60s), kCreated + 30s);
}

// Proves: paid and failed go to the bill actor, whatever the attempt or time; a refusal
// (can never succeed) is dead-lettered at once.
TEST(VerifyRules, PaidAndFailedGoToTheBillActor) {
  for (Millis now : {kCreated + 60s, kExpires + 1s}) {
    EXPECT_EQ(next_verify_step(QueryOutcome::paid, at(1, now), policy(), 0).action, Action::apply_paid);
    EXPECT_EQ(next_verify_step(QueryOutcome::failed, at(19, now), policy(), 0).action, Action::apply_failed);
    EXPECT_EQ(next_verify_step(QueryOutcome::refused, at(1, now), policy(), 0).action, Action::dead_letter);
  }
}

// Proves: an early "unpaid" is asked again after a backoff that starts at query_after and
// doubles (between half the ceiling and the ceiling, whatever the jitter), never later
// than expiry.
TEST(VerifyRules, PendingBacksOffFromQueryAfterUntilExpiry) {
  for (uint64_t random : {uint64_t{0}, uint64_t{12345}, std::numeric_limits<uint64_t>::max()}) {
    auto first = next_verify_step(QueryOutcome::pending, at(1, kCreated + 60s), policy(), random);
    EXPECT_EQ(first.action, Action::retry);
    EXPECT_GE(first.delay, 30s);
    EXPECT_LE(first.delay, 60s);
    auto third = next_verify_step(QueryOutcome::pending, at(3, kCreated + 5min), policy(), random);
    EXPECT_GE(third.delay, 120s);
    EXPECT_LE(third.delay, 240s);
    auto near_expiry = next_verify_step(QueryOutcome::pending, at(2, kExpires - 10s), policy(), random);
    EXPECT_EQ(near_expiry.action, Action::retry);
    EXPECT_LE(near_expiry.delay, 10s);
  }
}

// Proves: after kMaxEarlyVerifyQueries unpaid answers only the final query is left, due at
// expiry; the final query's unpaid answer ends the job (expiry may now close the bill).
TEST(VerifyRules, EarlyQueriesAreBoundedAndTheFinalOneEndsTheJob) {
  auto skip =
      next_verify_step(QueryOutcome::pending, at(kMaxEarlyVerifyQueries, kCreated + 10min), policy(), 7);
  EXPECT_EQ(skip.action, Action::retry);
  EXPECT_EQ(skip.delay, 20min);
  EXPECT_EQ(next_verify_step(QueryOutcome::pending, at(6, kExpires), policy(), 7).action, Action::finish);
  EXPECT_EQ(next_verify_step(QueryOutcome::pending, at(2, kExpires + 5s), policy(), 7).action,
            Action::finish);
}

// Proves: an unreachable provider is retried with the delivery backoff (full jitter within
// the ceiling), before expiry never past it, after expiry as long as it takes, and is
// dead-lettered at max_attempts.
TEST(VerifyRules, UnreachableRetriesWithBackoffThenDeadLetters) {
  const uint64_t top = std::numeric_limits<uint64_t>::max();
  auto early = next_verify_step(QueryOutcome::unreachable, at(4, kCreated + 1min), policy(), top);
  EXPECT_EQ(early.action, Action::retry);
  EXPECT_LE(early.delay, 8s);
  auto capped = next_verify_step(QueryOutcome::unreachable, at(15, kExpires - 2s), policy(), top);
  EXPECT_LE(capped.delay, 2s);
  auto late = next_verify_step(QueryOutcome::unreachable, at(15, kExpires + 1s), policy(), 599999);
  EXPECT_EQ(late.action, Action::retry);
  EXPECT_EQ(late.delay, 599999ms);
  EXPECT_EQ(next_verify_step(QueryOutcome::unreachable, at(20, kExpires + 1s), policy(), 0).action,
            Action::dead_letter);
}

}  // namespace
}  // namespace unipay
