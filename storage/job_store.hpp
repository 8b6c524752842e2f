// SQL for the jobs table (delivery now, verify later): claim with FOR UPDATE SKIP LOCKED
// and a lease, reschedule after a failed attempt, finish, dead-letter, replay.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "storage/bill.hpp"
#include "storage/database.hpp"

namespace unipay::storage {

struct Job {
  int64_t job_id = 0;
  std::string kind;  // "delivery" | "verify"
  std::string bill_id;
  int attempt = 0;  // attempts already made
  Millis next_attempt_at{};
  Millis created_at{};
  std::string last_error;
  std::string app_id;   // the bill's app: set by claims only (parse_claimed_jobs)
  std::string receipt;  // verify jobs: the client's receipt to check again ("": query the bill)
};

// How a claim shares itself between apps: each app's jobs at most per_app, or its own
// quota when listed (0: none of its jobs, e.g. while its circuit breaker is open). The
// claim looks at the oldest limit × scan_factor due jobs only.
struct ClaimShares {
  std::vector<std::pair<std::string, size_t>> quotas;  // app_id, most of its jobs to claim
  size_t per_app = 1'000'000;                          // apps not listed
  size_t scan_factor = 4;
};

// Claims up to `limit` due, unleased (or lease-expired), not dead jobs of `kind` for
// `owner` until now + lease, oldest first and round-robin between apps within `shares`.
// Returns the claimed jobs with their app and receipt (see parse_claimed_jobs; parse_jobs
// reads them too).
Statement claim_due_jobs(const std::string& kind, const std::string& owner, std::chrono::milliseconds lease,
                         int limit, const ClaimShares& shares = {});
std::vector<Job> parse_claimed_jobs(const Rows& rows);

// The bill's verify job carrying `receipt` (a client's receipt the provider could not be
// reached to check), due after `delay`, unleased, with a fresh attempt count: inserted, or
// an existing verify job of the bill (dead or alive) takes the newest receipt. Inserted only
// while the bill is `created` (a settled bill needs no check). Returns one row when written.
Statement upsert_receipt_verify_job(const std::string& bill_id, const std::string& receipt,
                                    std::chrono::milliseconds delay);

// Gives back jobs of these bills that `owner` holds but will not run now (at capacity):
// their lease ends now, so the next claim takes them. Returns one row per job released.
Statement release_jobs(const std::string& kind, const std::string& owner,
                       const std::vector<std::string>& bill_ids);

// An app's game server answers again (its circuit breaker closed): every job of that app
// waiting out a backoff is due now (lease ended too), whoever holds the wait, so the
// backlog drains at once instead of over the longest backoff. Jobs being attempted or dead
// are left alone. Returns one row per job made due.
Statement expedite_app_jobs(const std::string& kind, const std::string& app_id);

// While an app's deliveries are paused (circuit breaker open) its jobs get no attempts, so
// the give-up time is kept here: that app's jobs created more than give_up ago and not
// being attempted now (unleased, lease over, or waiting out a backoff) are dead-lettered,
// their last error kept. Returns one row per job dead-lettered.
Statement dead_letter_paused_app_jobs(const std::string& kind, const std::string& app_id,
                                      std::chrono::seconds give_up);

// After a failed attempt: attempt = attempt_done, next_attempt_at = now + delay, and the
// lease ends then too (lease_until = next_attempt_at): the job stays this owner's while
// it waits (no replay, no other claim), and is any node's to claim once due. Nothing waits
// in memory. Returns one row when `owner` still held the lease.
Statement reschedule_job(int64_t job_id, const std::string& owner, int attempt_done,
                         std::chrono::milliseconds delay, const std::string& last_error);

// Gives up: marks the job dead (dead letter), records the error, drops the lease.
// Returns one row when `owner` still held the lease (else nothing changes).
Statement dead_letter_job(int64_t job_id, const std::string& owner, int attempt_done,
                          const std::string& last_error);

// Admin replay of a delivery job of an app's bill (any app when empty): due now, lease
// cleared, dead_at cleared, as a fresh run. A job whose lease is live (a node is attempting
// it or holds it while it waits for its retry) is left alone. Returns one row when such a
// job exists for that app (see parse_replay), none otherwise.
Statement replay_delivery_job(const std::string& app_id_or_empty, const std::string& bill_id);

struct ReplayResult {
  enum class Outcome { replayed, lease_live, no_job };
  Outcome outcome = Outcome::no_job;
  std::string lease_owner;            // lease_live: who holds it
  std::optional<Millis> lease_until;  // lease_live: until when
};
ReplayResult parse_replay(const Rows& rows);

// One row per job: job_id, kind, bill_id, attempt, next_attempt_at_ms, created_at_ms, last_error.
std::vector<Job> parse_jobs(const Rows& rows);
// One job from those seven columns starting at column `first` of `row`; none when they are
// missing, NULL or malformed.
std::optional<Job> parse_job_columns(const Rows& rows, size_t row, size_t first);

// The delivery job of a bill, if any (same columns as parse_jobs, then dead (bool), then
// lease_owner ("" when unleased)).
Statement select_job_for_bill(const std::string& kind, const std::string& bill_id);

// Delivery jobs as an operator sees them (GET /v1/admin/deliveries).
struct DeliveryJobQuery {
  enum class State { any, pending, dead };
  std::string kind = "delivery";  // or "verify": the janitor's jobs
  State state = State::any;
  std::string app_id;         // "" for every app
  std::string after_bill_id;  // cursor: "" for the first page
  int limit = 50;
};
struct DeliveryJobView {
  Job job;
  std::string app_id;
  std::string user_id;
  std::optional<Millis> dead_at;  // set: dead-lettered (pending otherwise)
  std::string lease_owner;        // "" when unleased
  std::optional<Millis> lease_until;
  bool lease_live = false;  // a node holds the job now (attempting it, or waiting to retry)
};
// Jobs of q.kind matching the query in bill_id order (bills sort by creation time), at most
// limit + 1 (one extra tells whether there is a next page). See parse_delivery_jobs.
Statement list_delivery_jobs(const DeliveryJobQuery& query);
std::vector<DeliveryJobView> parse_delivery_jobs(const Rows& rows);

}  // namespace unipay::storage

namespace unipay::storage {

// Deletes a job (its work is settled: delivered or refunded before delivery). Returns one
// row when `owner` still held the lease (else nothing changes).
Statement finish_job(int64_t job_id, const std::string& owner);

// The answer of a write whose last statement is a job write made under the lease
// (reschedule, finish, dead letter): true when this process still held the lease, false
// when another process holds the job now (or it is gone).
Result<bool> lease_held(const Result<std::vector<Rows>>& rows);

}  // namespace unipay::storage
