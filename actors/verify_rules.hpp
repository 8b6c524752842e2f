// When a verify job (the janitor, DESIGN.md §4) queries the provider about a bill, and what
// each answer does. Pure, so the schedule and every outcome are tested without actors or a
// database; actors/verify_actor.cpp acts on the decisions.
//
// The schedule: the first query channels.query_after_s after the bill was created (when no
// callback settled it meanwhile), then, while the provider says "not paid", again with
// exponential backoff (at most kMaxEarlyVerifyQueries of these early queries), and always a
// final query once the bill's ttl has passed. Expiry closes the bill only after that final
// query said unpaid (the sweep skips bills with a live verify job, storage/bill_store.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "actors/backoff.hpp"
#include "storage/bill.hpp"

namespace unipay {

// Early queries (before expiry) answered "not paid" after which only the final one is left.
constexpr int kMaxEarlyVerifyQueries = 5;

// When a new bill's verify job is first due: query_after after creation, or at expiry when
// that comes first (a short ttl: the final query is the only one).
Millis first_verify_due(Millis created_at, Millis expires_at, std::chrono::seconds query_after);

// What the provider said, as the verify actor sees it (actors/bill_querier.hpp).
enum class QueryOutcome {
  paid,         // money taken: the bill moves to paid as a callback would move it
  failed,       // the payment failed or the provider closed the order
  pending,      // not paid (yet), or the provider has no such order
  unreachable,  // no answer that verified: the outcome is unknown
  refused,      // can never succeed (no credentials for the channel, a refund of an unpaid bill)
};

struct VerifyPolicy {
  std::chrono::seconds query_after{60};  // the first early re-query waits this, doubling
  BackoffPolicy unreachable;             // retries while the provider cannot be reached
  int max_attempts = 20;                 // queries in all; an unreachable provider past it: dead letter
};

// Where the job is: attempts made including the one just answered, now, the bill's expiry.
struct VerifyState {
  int attempt_done = 1;
  Millis now{};
  Millis expires_at{};
};

struct VerifyStep {
  enum class Action {
    apply_paid,    // send the bill actor provider_success (the transition deletes the job)
    apply_failed,  // send the bill actor provider_failure (likewise)
    finish,        // the final query said unpaid: delete the job, expiry may close the bill
    retry,         // reschedule the job after `delay`
    dead_letter,   // give up: the job stays, dead, for an operator; expiry may close the bill
  };
  Action action = Action::retry;
  std::chrono::milliseconds delay{0};  // retry only
};

// `random`: any uniformly distributed 64-bit value (the backoff's jitter).
VerifyStep next_verify_step(QueryOutcome outcome, const VerifyState& state, const VerifyPolicy& policy,
                            uint64_t random);

}  // namespace unipay
