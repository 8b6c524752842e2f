// Bill SQL against a real PostgreSQL: round trips, idempotency, compare-and-set
// transitions (alone and inside one group commit) with what they imply.
#include "storage/bill_store.hpp"

#include <poll.h>

#include "storage/job_store.hpp"
#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

using std::chrono::milliseconds;

void expect_same_bill(const Bill& got, const Bill& want) {
  EXPECT_EQ(got.bill_id, want.bill_id);
  EXPECT_EQ(got.app_id, want.app_id);
  EXPECT_EQ(got.user_id, want.user_id);
  EXPECT_EQ(got.item_id, want.item_id);
  EXPECT_EQ(got.channel, want.channel);
  EXPECT_EQ(got.bill_type, want.bill_type);
  EXPECT_EQ(got.amount_minor, want.amount_minor);
  EXPECT_EQ(got.currency, want.currency);
  EXPECT_EQ(got.coins, want.coins);
  EXPECT_EQ(got.passinfo, want.passinfo);
  EXPECT_EQ(got.os, want.os);
  EXPECT_EQ(got.app_version, want.app_version);
  EXPECT_EQ(got.sdk_version, want.sdk_version);
  EXPECT_EQ(got.map_user_id, want.map_user_id);
  EXPECT_EQ(got.extra_json, want.extra_json);
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.provider_trade_no, want.provider_trade_no);
  EXPECT_EQ(got.client_token_hash, want.client_token_hash);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.paid_at, want.paid_at);
  EXPECT_EQ(got.delivered_at, want.delivered_at);
  EXPECT_EQ(got.expires_at, want.expires_at);
  EXPECT_EQ(got.late_payment, want.late_payment);
}

class BillStoreTest : public StoreTest {
 protected:
  // created → `to` at version 1 → 2, as the bill actor would ask for it.
  TransitionWrite pay(const Bill& bill, BillState to, const std::string& trade_no = "") {
    TransitionWrite w;
    w.next = bill;
    w.next.state = to;
    w.next.version = bill.version + 1;
    w.next.provider_trade_no = trade_no;
    if (to == BillState::paid) w.next.paid_at = bill.created_at + milliseconds{5000};
    w.expected_version = bill.version;
    w.lease_owner = "node-a";
    return w;
  }

  int64_t count(const std::string& sql, const std::string& bill_id) {
    return std::stoll(run({sql, {bill_id}}).text(0, 0));
  }
  int64_t jobs_of(const std::string& bill_id) {
    return count("SELECT count(*) FROM jobs WHERE bill_id = $1", bill_id);
  }
  int64_t audits_of(const std::string& bill_id) {
    return count("SELECT count(*) FROM callbacks WHERE bill_id = $1", bill_id);
  }

  // Holds the writer busy so the ops submitted right after wait together and are
  // committed as one group.
  std::future<Result<std::vector<Rows>>> occupy_writer() {
    auto busy = std::make_shared<std::promise<Result<std::vector<Rows>>>>();
    auto answer = busy->get_future();
    db_->write({{"SELECT pg_sleep(0.3)", {}}},
               [busy](Result<std::vector<Rows>> r) { busy->set_value(std::move(r)); });
    return answer;
  }
};

// Every field, including optional times, jsonb extra and late_payment, comes back as
// written; absent optional times and trade number come back absent.
TEST_F(BillStoreTest, InsertThenSelectRoundTripsEveryField) {
  Bill full = sample_bill("b_01", app_id_);
  full.bill_type = BillType::recharge;
  full.extra_json = R"({"k": "v", "n": [1, 2]})";  // jsonb's own output form
  full.state = BillState::delivered;
  full.version = 3;
  full.provider_trade_no = "T-123";
  full.paid_at = full.created_at + milliseconds{1001};
  full.delivered_at = full.created_at + milliseconds{2002};
  full.late_payment = true;
  insert(full);
  Bill bare = sample_bill("b_02", app_id_);
  insert(bare);

  auto got_full = load("b_01");
  ASSERT_TRUE(got_full);
  expect_same_bill(*got_full, full);
  auto got_bare = load("b_02");
  ASSERT_TRUE(got_bare);
  expect_same_bill(*got_bare, bare);
  EXPECT_FALSE(load("b_missing"));
}

// The same key inserts once; the second request inserts nothing and finds the first
// answer; a key older than its lifetime counts as new and is replaced.
TEST_F(BillStoreTest, IdempotencyKeyInsertsOnceAndExpires) {
  IdempotencyRecord record{app_id_, "key-1", "sha-a", 201, R"({"bill":1})"};
  EXPECT_EQ(write_one(insert_bill(sample_bill("b_01", app_id_), record, kIdempotencyKeepS)).text(0, 0), "t");
  IdempotencyRecord again{app_id_, "key-1", "sha-b", 201, R"({"bill":2})"};
  EXPECT_EQ(write_one(insert_bill(sample_bill("b_02", app_id_), again, kIdempotencyKeepS)).text(0, 0), "f");
  EXPECT_TRUE(load("b_01"));
  EXPECT_FALSE(load("b_02"));

  auto stored = parse_idempotency(run(select_idempotency(app_id_, "key-1", 86400)));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->app_id, app_id_);
  EXPECT_EQ(stored->key, "key-1");
  EXPECT_EQ(stored->request_sha256, "sha-a");
  EXPECT_EQ(stored->status, 201);
  EXPECT_EQ(stored->response_body, R"({"bill":1})");
  EXPECT_FALSE(parse_idempotency(run(select_idempotency("other-app", "key-1", 86400))));

  run({"UPDATE idempotency_keys SET created_at = now() - interval '25 hours'", {}});
  EXPECT_FALSE(parse_idempotency(run(select_idempotency(app_id_, "key-1", 86400))));
  EXPECT_EQ(write_one(insert_bill(sample_bill("b_03", app_id_), again, kIdempotencyKeepS)).text(0, 0), "t");
  stored = parse_idempotency(run(select_idempotency(app_id_, "key-1", 86400)));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->request_sha256, "sha-b");
}

// The lifetime is the caller's (bills.idempotency_keep_s): with two days, a key a day
// and an hour old still answers a retry and blocks a second bill; past two days it is new.
TEST_F(BillStoreTest, IdempotencyKeyLivesAsLongAsConfigured) {
  constexpr int kTwoDaysS = 2 * 86400;
  IdempotencyRecord record{app_id_, "key-2d", "sha-a", 201, R"({"bill":1})"};
  EXPECT_EQ(write_one(insert_bill(sample_bill("b_01", app_id_), record, kTwoDaysS)).text(0, 0), "t");
  run({"UPDATE idempotency_keys SET created_at = now() - interval '25 hours'", {}});
  EXPECT_EQ(write_one(insert_bill(sample_bill("b_02", app_id_), record, kTwoDaysS)).text(0, 0), "f");
  EXPECT_TRUE(parse_idempotency(run(select_idempotency(app_id_, "key-2d", kTwoDaysS))));
  EXPECT_FALSE(load("b_02"));
  run({"UPDATE idempotency_keys SET created_at = now() - interval '49 hours'", {}});
  EXPECT_EQ(write_one(insert_bill(sample_bill("b_03", app_id_), record, kTwoDaysS)).text(0, 0), "t");
}

// Where a sealed client token sits (offset, bill, key id) round-trips with the record,
// and a record without one reads back without one.
TEST_F(BillStoreTest, IdempotencyRecordKeepsTheSealPlace) {
  IdempotencyRecord sealed{app_id_, "key-s", "sha", 201, R"({"client_token":"SEALED"})", {}};
  sealed.sealed_token = SealedTokenPlace{17, "b_01", "0123456789abcdef"};
  ASSERT_EQ(write_one(insert_bill(sample_bill("b_01", app_id_), sealed, kIdempotencyKeepS)).text(0, 0), "t");
  IdempotencyRecord plain{app_id_, "key-p", "sha", 201, "{}", {}};
  ASSERT_EQ(write_one(insert_bill(sample_bill("b_02", app_id_), plain, kIdempotencyKeepS)).text(0, 0), "t");

  auto got = parse_idempotency(run(select_idempotency(app_id_, "key-s", kIdempotencyKeepS)));
  ASSERT_TRUE(got && got->sealed_token);
  EXPECT_EQ(got->response_body, sealed.response_body);
  EXPECT_EQ(got->sealed_token->token_at, 17);
  EXPECT_EQ(got->sealed_token->bill_id, "b_01");
  EXPECT_EQ(got->sealed_token->key_id, "0123456789abcdef");
  got = parse_idempotency(run(select_idempotency(app_id_, "key-p", kIdempotencyKeepS)));
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->sealed_token.has_value());
}

// A matching version applies the transition with its job and audit row; a stale
// version changes nothing (no error, 'f') and writes neither.
TEST_F(BillStoreTest, TransitionAppliesOnlyOnMatchingVersion) {
  Bill bill = sample_bill("b_01", app_id_);
  insert(bill);
  TransitionWrite w = pay(bill, BillState::paid, "T-1");
  w.audit = CallbackAudit{app_id_, "sandbox", "b_01", "hash", "accepted", ""};
  EXPECT_EQ(write_one(transition_statement(w)).text(0, 0), "t");
  auto stored = load("b_01");
  ASSERT_TRUE(stored);
  expect_same_bill(*stored, w.next);
  auto job = parse_jobs(run(select_job_for_bill("delivery", "b_01")));
  ASSERT_EQ(job.size(), 1u);
  EXPECT_EQ(job[0].attempt, 0);
  EXPECT_EQ(run({"SELECT lease_owner FROM jobs", {}}).text(0, 0), "node-a");
  EXPECT_EQ(audits_of("b_01"), 1);

  TransitionWrite stale = pay(bill, BillState::failed);
  stale.audit = w.audit;
  EXPECT_EQ(write_one(transition_statement(stale)).text(0, 0), "f");
  EXPECT_EQ(load("b_01")->state, BillState::paid);
  EXPECT_EQ(load("b_01")->version, 2);
  EXPECT_EQ(audits_of("b_01"), 1);
}

// Two transitions of one bill from the same version, committed in one group with
// others: exactly one wins, the others all apply, the version moves once, and only the
// winner's job and audit row exist.
TEST_F(BillStoreTest, GroupCommitResolvesConflictingTransitions) {
  for (auto id : {"b_a", "b_b", "b_c"}) insert(sample_bill(id, app_id_));
  const Bill a = *load("b_a");
  TransitionWrite to_paid = pay(a, BillState::paid, "T-a");
  to_paid.audit = CallbackAudit{app_id_, "sandbox", "b_a", "h1", "accepted", "paid"};
  TransitionWrite to_failed = pay(a, BillState::failed);
  to_failed.audit = CallbackAudit{app_id_, "sandbox", "b_a", "h2", "accepted", "failed"};
  const auto before = db_->stats();

  auto busy = occupy_writer();
  std::vector<std::future<Result<std::vector<Rows>>>> answers;
  for (auto* w : {&to_paid, &to_failed}) {
    answers.push_back(std::async(std::launch::async,
                                 [this, st = transition_statement(*w)] { return write_sync(*db_, {st}); }));
  }
  auto other_b = std::async(std::launch::async, [&] {
    return write_sync(*db_, {transition_statement(pay(*load("b_b"), BillState::paid, "T-b"))});
  });
  auto other_c = std::async(std::launch::async, [&] {
    return write_sync(*db_, {transition_statement(pay(*load("b_c"), BillState::closed)),
                             insert_callback_audit({app_id_, "sandbox", "b_c", "h3", "ok", ""})});
  });
  ASSERT_TRUE(busy.get().ok());
  auto paid = answers[0].get();
  auto failed = answers[1].get();
  ASSERT_TRUE(paid.ok() && failed.ok());
  const bool paid_won = paid->at(0).text(0, 0) == "t";
  EXPECT_NE(paid_won, failed->at(0).text(0, 0) == "t") << "exactly one CAS may win";

  auto stored_a = load("b_a");
  EXPECT_EQ(stored_a->state, paid_won ? BillState::paid : BillState::failed);
  EXPECT_EQ(stored_a->version, 2);
  EXPECT_EQ(jobs_of("b_a"), paid_won ? 1 : 0);
  EXPECT_EQ(run({"SELECT detail FROM callbacks WHERE bill_id = 'b_a'", {}}).rows.size(), 1u);
  EXPECT_EQ(run({"SELECT detail FROM callbacks WHERE bill_id = 'b_a'", {}}).text(0, 0),
            paid_won ? "paid" : "failed");
  EXPECT_EQ(other_b.get()->at(0).text(0, 0), "t");
  EXPECT_EQ(other_c.get()->at(0).text(0, 0), "t");
  EXPECT_EQ(load("b_b")->state, BillState::paid);
  EXPECT_EQ(jobs_of("b_b"), 1);
  EXPECT_EQ(load("b_c")->state, BillState::closed);
  EXPECT_EQ(jobs_of("b_c"), 0);
  EXPECT_EQ(audits_of("b_c"), 1);
  const auto after = db_->stats();
  EXPECT_LT(after.write_batches - before.write_batches, after.write_ops - before.write_ops)
      << "the ops were meant to share a transaction";
}

// The delivered statement removes the delivery job, but only when its CAS applies.
TEST_F(BillStoreTest, FinishDeliveryDeletesTheJobOnlyWhenApplied) {
  Bill bill = sample_bill("b_01", app_id_);
  insert(bill);
  TransitionWrite paid = pay(bill, BillState::paid, "T-1");
  ASSERT_EQ(write_one(transition_statement(paid)).text(0, 0), "t");
  TransitionWrite delivered;
  delivered.next = paid.next;
  delivered.next.state = BillState::delivered;
  delivered.next.delivered_at = paid.next.created_at + milliseconds{9000};

  delivered.expected_version = 1;  // stale
  delivered.next.version = 2;
  EXPECT_EQ(write_one(transition_statement(delivered)).text(0, 0), "f");
  EXPECT_EQ(jobs_of("b_01"), 1);

  delivered.expected_version = 2;
  delivered.next.version = 3;
  EXPECT_EQ(write_one(transition_statement(delivered)).text(0, 0), "t");
  EXPECT_EQ(jobs_of("b_01"), 0);
  expect_same_bill(*load("b_01"), delivered.next);
}

// A refund of a delivered bill commits, in its one statement, a delivery job due now and
// leased to the writer (bill.refunded), only when its CAS applies; the bill stays refunded.
TEST_F(BillStoreTest, RefundOfADeliveredBillCommitsItsDeliveryJob) {
  Bill bill = sample_bill("b_01", app_id_);
  insert(bill);
  TransitionWrite paid = pay(bill, BillState::paid, "T-1");
  ASSERT_EQ(write_one(transition_statement(paid)).text(0, 0), "t");
  TransitionWrite delivered = pay(paid.next, BillState::delivered, "T-1");
  ASSERT_EQ(write_one(transition_statement(delivered)).text(0, 0), "t");
  ASSERT_EQ(jobs_of("b_01"), 0);

  TransitionWrite refunded = pay(delivered.next, BillState::refunded, "T-1");
  refunded.lease_owner = "node-r";
  refunded.expected_version = 9;  // stale: nothing happens
  EXPECT_EQ(write_one(transition_statement(refunded)).text(0, 0), "f");
  EXPECT_EQ(jobs_of("b_01"), 0);

  refunded.expected_version = delivered.next.version;
  EXPECT_EQ(write_one(transition_statement(refunded)).text(0, 0), "t");
  Rows job =
      run({"SELECT kind, attempt, lease_owner, dead_at IS NULL, next_attempt_at <= now() "
           "FROM jobs WHERE bill_id = 'b_01'",
           {}});
  ASSERT_EQ(job.size(), 1u);
  EXPECT_EQ(job.text(0, 0), "delivery");
  EXPECT_EQ(job.text(0, 1), "0");
  EXPECT_EQ(job.text(0, 2), "node-r");
  EXPECT_EQ(job.text(0, 3), "t");
  EXPECT_EQ(job.text(0, 4), "t");
  EXPECT_EQ(load("b_01")->state, BillState::refunded);
}

// A refund while bill.paid is still pending keeps the one job (UNIQUE (kind, bill_id)) and
// its live lease, so the node attempting it carries on with bill.refunded; a dead job is
// revived: leased to the refunding node, attempt count and give-up clock restarted.
TEST_F(BillStoreTest, RefundKeepsAPendingJobAndRevivesADeadOne) {
  for (const bool dead : {false, true}) {
    SCOPED_TRACE(dead ? "dead job" : "live job");
    const std::string id = dead ? "b_dead" : "b_live";
    insert(sample_bill(id, app_id_));
    TransitionWrite paid = pay(*load(id), BillState::paid, "T-" + id);
    paid.lease_owner = "node-p";
    ASSERT_EQ(write_one(transition_statement(paid)).text(0, 0), "t");
    run(
        {"UPDATE jobs SET attempt = 4, created_at = now() - interval '1 day', "
         "dead_at = CASE WHEN $2::boolean THEN now() END, lease_until = CASE WHEN $2::boolean "
         "THEN now() - interval '1 hour' ELSE now() + interval '1 hour' END WHERE bill_id = $1",
         {id, dead ? "true" : "false"}});
    TransitionWrite refunded = pay(paid.next, BillState::refunded, "T-" + id);
    refunded.lease_owner = "node-r";
    ASSERT_EQ(write_one(transition_statement(refunded)).text(0, 0), "t");
    Rows job =
        run({"SELECT attempt, lease_owner, dead_at IS NULL, created_at > now() - interval '1 hour' "
             "FROM jobs WHERE bill_id = $1",
             {id}});
    ASSERT_EQ(job.size(), 1u);
    EXPECT_EQ(job.text(0, 0), dead ? "0" : "4");
    EXPECT_EQ(job.text(0, 1), dead ? "node-r" : "node-p");
    EXPECT_EQ(job.text(0, 2), "t");
    EXPECT_EQ(job.text(0, 3), dead ? "t" : "f");
  }
}

// Proves the paid transition's row carries the delivery job it leased to the writer, as
// stored (so the node attempts it without reading it back); a transition that leaves the job
// with another process's live lease, or enqueues nothing, or loses its compare-and-set,
// carries none.
TEST_F(BillStoreTest, TransitionReturnsTheDeliveryJobItLeased) {
  insert(sample_bill("b_01", app_id_));
  TransitionWrite paid = pay(*load("b_01"), BillState::paid, "T-1");
  paid.lease_owner = "node-p";
  TransitionOutcome stale = parse_transition_outcome(write_one(transition_statement([&] {
    TransitionWrite w = paid;
    w.expected_version = 7;
    return w;
  }())));
  EXPECT_FALSE(stale.applied || stale.leased_job);
  TransitionOutcome outcome = parse_transition_outcome(write_one(transition_statement(paid)));
  ASSERT_TRUE(outcome.applied);
  ASSERT_TRUE(outcome.leased_job);
  std::vector<Job> stored = parse_jobs(run(select_job_for_bill("delivery", "b_01")));
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(outcome.leased_job->job_id, stored[0].job_id);
  EXPECT_EQ(outcome.leased_job->kind, "delivery");
  EXPECT_EQ(outcome.leased_job->bill_id, "b_01");
  EXPECT_EQ(outcome.leased_job->attempt, 0);
  EXPECT_EQ(outcome.leased_job->created_at, stored[0].created_at);
  EXPECT_EQ(outcome.leased_job->next_attempt_at, stored[0].next_attempt_at);

  // node-p still holds the job live: a refund by node-r keeps its lease and carries no job.
  TransitionWrite refunded = pay(paid.next, BillState::refunded, "T-1");
  refunded.lease_owner = "node-r";
  outcome = parse_transition_outcome(write_one(transition_statement(refunded)));
  EXPECT_TRUE(outcome.applied);
  EXPECT_FALSE(outcome.leased_job);

  insert(sample_bill("b_02", app_id_));
  TransitionWrite closed = pay(*load("b_02"), BillState::closed);
  outcome = parse_transition_outcome(write_one(transition_statement(closed)));
  EXPECT_TRUE(outcome.applied);
  EXPECT_FALSE(outcome.leased_job);
}

// Waits up to `timeout` for one notification on `conn`; its payload, or "" for none.
std::string next_notification(PGconn* conn, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    PQconsumeInput(conn);
    if (PGnotify* n = PQnotifies(conn)) {
      std::string payload = n->extra;
      PQfreemem(n);
      return payload;
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "";
    pollfd fd{PQsocket(conn), POLLIN, 0};
    poll(&fd, 1, int(left.count()));
  }
}

// NOTIFY unipay_bill '<id> <state> <version>' goes out with an applied transition and
// never with a lost compare-and-set.
TEST_F(BillStoreTest, NotifiesOnlyAppliedTransitions) {
  pg::Conn listener = scratch_.connect();
  ASSERT_TRUE(listener);
  PQclear(PQexec(listener.get(), "LISTEN unipay_bill"));
  Bill bill = sample_bill("b_01", app_id_);
  insert(bill);

  TransitionWrite lost = pay(bill, BillState::closed);
  lost.expected_version = 7;
  EXPECT_EQ(write_one(transition_statement(lost)).text(0, 0), "f");
  EXPECT_EQ(write_one(transition_statement(pay(bill, BillState::closed))).text(0, 0), "t");
  // Notifications arrive in commit order: the first one must be the applied transition's.
  EXPECT_EQ(next_notification(listener.get(), milliseconds{5000}), "b_01 closed 2");
  EXPECT_EQ(next_notification(listener.get(), milliseconds{300}), "");
}

// Proves a trade number already paid on another bill of the channel is reported by the
// transition statement itself (trade_no_taken, not applied) instead of raising the unique
// index's error: nothing of the op is written, and the group commit it shares is not
// rolled back (one transaction, no split) so the other ops commit.
TEST_F(BillStoreTest, TakenTradeNumberIsReportedNotRaised) {
  for (auto id : {"b_1", "b_2", "b_3"}) insert(sample_bill(id, app_id_));
  auto first =
      parse_transition_outcome(write_one(transition_statement(pay(*load("b_1"), BillState::paid, "T-same"))));
  EXPECT_TRUE(first.applied);
  EXPECT_FALSE(first.trade_no_taken);

  const auto before = db_->stats();
  auto busy = occupy_writer();
  auto clash = std::async(std::launch::async, [&] {
    return write_sync(*db_, {transition_statement(pay(*load("b_2"), BillState::paid, "T-same"))});
  });
  auto fine = std::async(std::launch::async, [&] {
    return write_sync(*db_, {transition_statement(pay(*load("b_3"), BillState::paid, "T-3"))});
  });
  ASSERT_TRUE(busy.get().ok());
  auto clashed = clash.get();
  ASSERT_TRUE(clashed.ok()) << clashed.error().message;
  auto outcome = parse_transition_outcome(clashed->at(0));
  EXPECT_FALSE(outcome.applied);
  EXPECT_TRUE(outcome.trade_no_taken);
  auto fine_result = fine.get();
  ASSERT_TRUE(fine_result.ok());
  EXPECT_TRUE(parse_transition_outcome(fine_result->at(0)).applied);
  const auto after = db_->stats();
  EXPECT_EQ(after.write_transactions - before.write_transactions, after.write_batches - before.write_batches)
      << "no batch was split";
  EXPECT_EQ(after.write_errors, before.write_errors);

  EXPECT_EQ(load("b_1")->provider_trade_no, "T-same");
  EXPECT_EQ(load("b_2")->state, BillState::created);
  EXPECT_EQ(load("b_2")->version, 1);
  EXPECT_EQ(jobs_of("b_2"), 0);
  EXPECT_EQ(load("b_3")->state, BillState::paid);
}

// Proves the check spans apps (the unique key is per channel, not per app), sees an
// earlier op of the same group commit, ignores the bill's own number (a later transition
// keeps it), and writes no audit row for the refused transition.
TEST_F(BillStoreTest, TakenTradeNumberAcrossAppsAndWithinOneBatch) {
  add_app("app2");
  insert(sample_bill("b_x", app_id_));
  insert(sample_bill("b_y", "app2"));
  insert(sample_bill("b_z", "app2"));
  auto busy = occupy_writer();
  ASSERT_TRUE(scratch::eventually([&] { return db_->stats().write_queue_depth == 0; }));  // it sleeps
  TransitionWrite y = pay(*load("b_y"), BillState::paid, "T-shared");
  y.audit = CallbackAudit{"app2", "sandbox", "b_y", std::string(64, 'c'), "accepted", "paid"};
  auto x = std::async(std::launch::async, [&] {
    return write_sync(*db_, {transition_statement(pay(*load("b_x"), BillState::paid, "T-shared"))});
  });
  ASSERT_TRUE(
      scratch::eventually([&] { return db_->stats().write_queue_depth == 1; }));  // x first in the batch
  auto y_result = write_sync(*db_, {transition_statement(y)});
  ASSERT_TRUE(busy.get().ok());
  ASSERT_TRUE(x.get().ok());
  ASSERT_TRUE(y_result.ok()) << y_result.error().message;
  EXPECT_TRUE(parse_transition_outcome(y_result->at(0)).trade_no_taken);
  EXPECT_EQ(load("b_x")->provider_trade_no, "T-shared");
  EXPECT_EQ(load("b_y")->state, BillState::created);
  EXPECT_EQ(audits_of("b_y"), 0);

  TransitionWrite delivered = pay(*load("b_x"), BillState::delivered, "T-shared");
  auto kept = parse_transition_outcome(write_one(transition_statement(delivered)));
  EXPECT_TRUE(kept.applied);
  EXPECT_FALSE(kept.trade_no_taken);
  TransitionWrite other_channel = pay(*load("b_z"), BillState::paid, "T-shared");
  run({"UPDATE bills SET channel = 'other' WHERE bill_id = 'b_z'", {}});
  EXPECT_TRUE(parse_transition_outcome(write_one(transition_statement(other_channel))).applied);
}

// Proves a bill is found by (app, channel, trade number) once a transition stored the
// number, and not through another app, another channel or an unknown number (a provider
// event naming only its trade, e.g. a Stripe Dashboard refund, reaches only its own bill).
TEST_F(BillStoreTest, SelectsTheBillIdByItsTradeNumberWithinItsAppAndChannel) {
  add_app("app2");
  insert(sample_bill("b_t", app_id_));
  insert(sample_bill("b_u", app_id_));
  write_one(transition_statement(pay(*load("b_t"), BillState::paid, "pi_T1")));
  const std::string channel = load("b_t")->channel;
  Rows found = run(select_bill_id_by_trade(app_id_, channel, "pi_T1"));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found.text(0, 0), "b_t");
  EXPECT_TRUE(run(select_bill_id_by_trade("app2", channel, "pi_T1")).empty());
  EXPECT_TRUE(run(select_bill_id_by_trade(app_id_, "other", "pi_T1")).empty());
  EXPECT_TRUE(run(select_bill_id_by_trade(app_id_, channel, "pi_T2")).empty());
}

// Proves a trade number with an embedded NUL is refused whole (invalid_parameter), never
// stored cut at the NUL where a later callback with the short number would clash with it.
TEST_F(BillStoreTest, TradeNumberWithNulIsRefusedNotTruncated) {
  insert(sample_bill("b_1", app_id_));
  auto refused = write_sync(
      *db_, {transition_statement(pay(*load("b_1"), BillState::paid, std::string("T1\0hidden", 9)))});
  ASSERT_FALSE(refused.ok()) << "stored as " << load("b_1")->provider_trade_no;
  EXPECT_EQ(refused.error().code, Errc::invalid_parameter);
  EXPECT_EQ(load("b_1")->state, BillState::created);
  Bill with_nul = sample_bill("b_2", app_id_);
  with_nul.passinfo = std::string("a\0bc", 4);
  auto insert_refused = write_sync(*db_, {insert_bill(with_nul, std::nullopt, kIdempotencyKeepS)});
  ASSERT_FALSE(insert_refused.ok());
  EXPECT_EQ(insert_refused.error().code, Errc::invalid_parameter);
  EXPECT_FALSE(load("b_2").has_value());
}

// Proves parse_transition_outcome reads the flags, never reports a taken number for an
// applied transition, and reads foreign rows as neither.
TEST(TransitionOutcome, ParsesTheStatementRow) {
  auto row = [](const char* applied, const char* taken) {
    Rows rows;
    rows.rows.push_back({std::string(applied), std::nullopt, std::string(taken)});
    return rows;
  };
  EXPECT_TRUE(parse_transition_outcome(row("t", "f")).applied);
  EXPECT_TRUE(parse_transition_outcome(row("f", "t")).trade_no_taken);
  EXPECT_FALSE(parse_transition_outcome(row("t", "t")).trade_no_taken);
  auto lost = parse_transition_outcome(row("f", "f"));
  EXPECT_FALSE(lost.applied || lost.trade_no_taken);
  Rows insert_answer;
  insert_answer.rows.push_back({std::string("t")});
  EXPECT_FALSE(parse_transition_outcome(insert_answer).applied);
  EXPECT_FALSE(parse_transition_outcome(Rows{}).applied);
}

// Proves: a batch of refused-callback audits is one statement that stores every row with
// its own fields (quotes and all), in order; an unknown app id is stored as given.
TEST_F(BillStoreTest, AuditBatchIsOneStatementWithEveryRow) {
  std::vector<CallbackAudit> batch;
  // Appends, not "lit" + std::string: g++ 12 at -O3 warns a false -Wrestrict on those.
  const auto numbered = [](std::string prefix, int i) { return prefix.append(std::to_string(i)); };
  for (int i = 0; i < 300; ++i) {
    batch.push_back({i % 2 ? app_id_ : "app_00000000000000ff", "sandbox", numbered("b_batch_", i),
                     numbered("h", i), "refused:bad_signature", numbered("it's \"forged\" #", i)});
  }
  auto written = write_sync(*db_, {insert_callback_audits(batch)});
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(written->at(0).affected, 300);
  auto rows =
      run({"SELECT app_id, bill_id, body_sha256, verdict, detail FROM callbacks "
           "WHERE bill_id LIKE 'b_batch_%' ORDER BY callback_id",
           {}});
  ASSERT_EQ(rows.size(), 300u);
  EXPECT_EQ(rows.text(0, 0), "app_00000000000000ff");
  EXPECT_EQ(rows.text(1, 0), app_id_);
  EXPECT_EQ(rows.text(299, 1), "b_batch_299");
  EXPECT_EQ(rows.text(299, 2), "h299");
  EXPECT_EQ(rows.text(7, 3), "refused:bad_signature");
  EXPECT_EQ(rows.text(7, 4), "it's \"forged\" #7");
}

}  // namespace
}  // namespace unipay::storage::test
