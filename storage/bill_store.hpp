// SQL for bills: insert (with an idempotency record), load, compare-and-set transition
// with everything it implies, list, and the expiry sweep.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "storage/app_store.hpp"
#include "storage/bill.hpp"
#include "storage/database.hpp"
#include "storage/delivery_attempt_store.hpp"
#include "storage/job_store.hpp"

namespace unipay::storage {

// Where a stored answer holds a sealed client token (net/token_seal.hpp).
struct SealedTokenPlace {
  int64_t token_at = 0;  // byte offset in response_body
  std::string bill_id;   // derives the keystream
  std::string key_id;    // the key that sealed it
};

// The answer stored with an Idempotency-Key, replayed byte for byte (after unsealing).
struct IdempotencyRecord {
  std::string app_id;
  std::string key;
  std::string request_sha256;  // hex SHA-256 of method, path and body
  int status = 0;
  std::string response_body;
  std::optional<SealedTokenPlace> sealed_token;  // none: response_body is the answer as is
};

// Inserts the bill. With a record: inserts the record first and the bill only when the
// key was new (one statement); the statement returns one row, column 0 't' when the bill
// was inserted, 'f' when the key already existed (then read it with select_idempotency).
// A stored key older than keep_s seconds (bills.idempotency_keep_s, the purge's and the
// replay's lifetime too) is replaced and counts as new. With verify_due (a channel with a
// query API: the janitor), the bill's verify job, due then, is inserted by the same
// statement, only when the bill is: a bill never exists without it. With a nonce claim, the
// same statement records the nonce first and writes nothing else when it was already used
// (column 1 'f'): the request's nonce check and its bill commit together.
Statement insert_bill(const Bill& bill, const std::optional<IdempotencyRecord>& idempotency, int keep_s,
                      std::optional<Millis> verify_due = std::nullopt,
                      const std::optional<NonceClaim>& nonce = std::nullopt);

// What insert_bill's row says.
enum class CreateOutcome { created, idempotency_key_exists, nonce_used };
CreateOutcome parse_create_outcome(const Rows& rows);

// One row: request_sha256, status, response_body, app_id, idem_key, token_at,
// token_bill_id, token_key_id; none when the key is unknown or older than keep_s seconds.
Statement select_idempotency(const std::string& app_id, const std::string& key, int keep_s);
std::optional<IdempotencyRecord> parse_idempotency(const Rows& rows);

// One row with every column of the bill (see parse_bill), or none.
Statement select_bill(const std::string& bill_id);
std::optional<Bill> parse_bill(const Rows& rows, size_t row = 0);

// One row, bill_id, of the app's bill of `channel` that stored `trade_no` (a provider event
// naming only its trade number: a Stripe Dashboard refund, a Google voided purchase), or
// none. Uses the (channel, provider_trade_no) unique index, so at most one bill matches; the
// app filter keeps one app from reaching another's bill.
Statement select_bill_id_by_trade(const std::string& app_id, const std::string& channel,
                                  const std::string& trade_no);

struct CallbackAudit {
  std::string app_id;
  std::string channel;
  std::string bill_id;
  std::string body_sha256;
  std::string verdict;  // "accepted", "ignored", "refused:<code>"
  std::string detail;
};
Statement insert_callback_audit(const CallbackAudit& audit);
// Many audit rows in one statement (refused callbacks are written in batches, off the
// payment path). At most kMaxAuditsPerStatement rows: six parameters each.
inline constexpr size_t kMaxAuditsPerStatement = 10000;
Statement insert_callback_audits(const std::vector<CallbackAudit>& audits);

// A transition's kind, from the state it moves the bill to: each kind has its own prepared
// statement (storage/bill_transition.cpp) with only the work that kind implies.
enum class TransitionKind {
  paid,       // trade number check, delivery job leased here, verify job deleted, audit
  delivered,  // delivery job deleted, the 2xx attempt recorded
  refunded,   // delivery job (bill.refunded) leased here, audit
  unpaid,     // failed or closed: verify job deleted, audit
};
TransitionKind transition_kind(BillState next);

// What a committed transition implies besides the bill row itself.
struct TransitionWrite {
  Bill next;                     // the bill after the transition; next.version = expected + 1
  int64_t expected_version = 0;  // compare-and-set on (bill_id, version)
  // paid and refunded: the bill's delivery job is upserted, due now, leased to lease_owner.
  // A job the bill still has (a refund while bill.paid is pending) keeps a live lease and is
  // due now; a dead one comes back to life, leased here, with a fresh attempt count and
  // give-up clock.
  std::string lease_owner;
  std::chrono::milliseconds lease{30000};
  std::optional<CallbackAudit> audit;  // audit row of the callback that caused it
  // delivered: the 2xx attempt that confirmed the delivery, inserted whether or not the
  // compare-and-set applies (ON CONFLICT (attempt_key) DO NOTHING), so the statement that
  // makes a bill delivered is the one that puts its 2xx attempt on record.
  std::optional<DeliveryAttempt> attempt;
};

// One statement per kind: UPDATE bills ... WHERE bill_id = $ AND version = $expected, and,
// only when that row was updated, what the kind implies (TransitionKind: the delivery job's
// upsert or deletion, the deletion of the bill's verify job when it leaves `created` or a
// failed/closed state, the audit row) and
// pg_notify('unipay_bill', '<bill_id> <state> <version>'). A `paid` or `refunded` row also
// carries the delivery job as the statement left it when that job is leased to
// write.lease_owner, so the node attempts it at once without reading it back. `paid` is
// skipped when next.provider_trade_no is already stored on another bill of the same channel
// (the unique index would raise an error and roll back the whole group commit), and the
// statement says so (the other kinds keep the number the bill has). Returns one row, read
// with parse_transition_outcome. A failed compare-and-set or a taken trade number raises no
// error, so neither aborts the other ops of a group commit.
Statement transition_statement(const TransitionWrite& write);

// What the transition statement decided.
struct TransitionOutcome {
  bool applied = false;         // the bill row was updated
  bool trade_no_taken = false;  // not applied: another bill of the channel holds the trade_no
  // Applied paid or refunded, and the job's lease is the writer's (not one another process
  // holds live): the job as committed.
  std::optional<Job> leased_job;
};
// Neither flag set: the version did not match (another writer won), or the rows are not a
// transition statement's answer.
TransitionOutcome parse_transition_outcome(const Rows& rows);

struct BillQuery {
  std::string app_id;
  std::optional<std::string> user_id;
  std::optional<BillState> state;
  std::optional<std::string> channel;
  std::optional<Millis> from;                // created_at >= from
  std::optional<Millis> to;                  // created_at < to
  std::optional<std::string> after_bill_id;  // cursor: bill ids sort by creation time
  int limit = 50;
};
// Bills of the app matching the query, newest first (bill_id descending; a cursor means
// bill_id < after_bill_id), limit+1
// rows (one extra tells whether there is a next page). Same columns as select_bill.
Statement list_bills(const BillQuery& query);

// Where an expiry sweep got to: the last bill it claimed (expires_at, bill_id).
struct ExpiryCursor {
  Millis expires_at{};
  std::string bill_id;  // "" with expires_at 0: from the start
};

// Claims up to `limit` `created` bills whose expires_at has passed, after `after` in
// (expires_at, bill_id) order: rows bill_id, expires_at (ms). FOR UPDATE SKIP LOCKED, so
// bills whose rows a transition is committing right now are left for the next sweep. The
// cursor makes a sweep progress even past bills its events do not close. A bill with a
// live (not dead-lettered) verify job is skipped: it closes only after the final provider
// query said unpaid and deleted the job (actors/verify_rules.hpp).
Statement claim_expired_bills(const ExpiryCursor& after, int limit);
// The cursor after the claim's last row (unchanged when it has none).
ExpiryCursor next_expiry_cursor(const Rows& claimed, ExpiryCursor after);

}  // namespace unipay::storage
