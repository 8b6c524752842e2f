#include "actors/verify_rules.hpp"

#include <algorithm>

namespace unipay {
namespace {

using Action = VerifyStep::Action;

// Never later than the final query's time (expiry); never negative.
std::chrono::milliseconds until_at_most_expiry(std::chrono::milliseconds delay, const VerifyState& s) {
  const auto to_expiry = std::max(std::chrono::milliseconds{0}, s.expires_at - s.now);
  return std::min(delay, to_expiry);
}

VerifyStep on_pending(const VerifyState& s, const VerifyPolicy& policy, uint64_t random) {
  // The query made at (or after) expiry was the final one: nothing to wait for any more.
  if (s.now >= s.expires_at) return {Action::finish, {}};
  // Enough early queries: only the final one at expiry is left.
  if (s.attempt_done >= kMaxEarlyVerifyQueries) return {Action::retry, s.expires_at - s.now};
  const BackoffPolicy early{policy.query_after, policy.unreachable.max};
  // At least half the ceiling: a jitter of 0 would ask the provider again at once.
  const auto ceiling = backoff_ceiling(early, s.attempt_done);
  const auto delay = ceiling / 2 + backoff_delay({ceiling / 2, ceiling / 2}, 1, random);
  return {Action::retry, until_at_most_expiry(delay, s)};
}

VerifyStep on_unreachable(const VerifyState& s, const VerifyPolicy& policy, uint64_t random) {
  if (s.attempt_done >= policy.max_attempts) return {Action::dead_letter, {}};
  const auto delay = backoff_delay(policy.unreachable, s.attempt_done, random);
  // Before expiry a retry never passes the final query's time; after it, it just waits.
  if (s.now < s.expires_at) return {Action::retry, until_at_most_expiry(delay, s)};
  return {Action::retry, delay};
}

}  // namespace

Millis first_verify_due(Millis created_at, Millis expires_at, std::chrono::seconds query_after) {
  return std::min(created_at + std::chrono::duration_cast<std::chrono::milliseconds>(query_after),
                  expires_at);
}

VerifyStep next_verify_step(QueryOutcome outcome, const VerifyState& state, const VerifyPolicy& policy,
                            uint64_t random) {
  switch (outcome) {
    case QueryOutcome::paid:
      return {Action::apply_paid, {}};
    case QueryOutcome::failed:
      return {Action::apply_failed, {}};
    case QueryOutcome::pending:
      return on_pending(state, policy, random);
    case QueryOutcome::unreachable:
      return on_unreachable(state, policy, random);
    case QueryOutcome::refused:
      return {Action::dead_letter, {}};
  }
  return {Action::dead_letter, {}};
}

}  // namespace unipay
