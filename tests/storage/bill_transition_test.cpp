// storage/bill_transition: one statement per transition kind, against the real PostgreSQL.
// The compare-and-set itself (version check, taken trade numbers, NOTIFY, the leased job)
// is also proven through bill_store_test.cpp and verify_jobs_test.cpp.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "storage/bill_store.hpp"
#include "storage/delivery_attempt_store.hpp"
#include "storage/job_store.hpp"
#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

using std::chrono::milliseconds;

class BillTransitionTest : public StoreTest {
 protected:
  // The bill as `to` at the next version, as the bill actor would ask for it.
  static TransitionWrite to(const Bill& bill, BillState state) {
    TransitionWrite w;
    w.next = bill;
    w.next.state = state;
    w.next.version = bill.version + 1;
    if (state == BillState::paid) {
      w.next.provider_trade_no = "T-" + bill.bill_id;
      w.next.paid_at = bill.created_at + milliseconds{5000};
    }
    if (state == BillState::delivered) w.next.delivered_at = bill.created_at + milliseconds{9000};
    w.expected_version = bill.version;
    w.lease_owner = "node-a";
    return w;
  }

  static DeliveryAttempt attempt_2xx(const std::string& bill_id, const std::string& key) {
    DeliveryAttempt a;
    a.attempt_key = key;
    a.bill_id = bill_id;
    a.delivery_id = "d_" + bill_id;
    a.attempt = 1;
    a.node_id = "node-a";
    a.started_at = now_ms();
    a.http_status = 200;
    a.latency_ms = 4;
    return a;
  }

  CallbackAudit audit_of(const std::string& bill_id) const {
    return CallbackAudit{app_id_, "sandbox", bill_id, std::string(64, 'a'), "accepted", "test"};
  }

  int64_t count(const std::string& sql, const std::string& bill_id) {
    return std::stoll(run({sql, {bill_id}}).text(0, 0));
  }
  int64_t jobs_of(const std::string& bill_id, const std::string& kind) {
    return std::stoll(
        run({"SELECT count(*) FROM jobs WHERE bill_id = $1 AND kind = $2", {bill_id, kind}}).text(0, 0));
  }
  int64_t audits_of(const std::string& bill_id) {
    return count("SELECT count(*) FROM callbacks WHERE bill_id = $1", bill_id);
  }
  int64_t attempts_of(const std::string& bill_id) {
    return count("SELECT count(*) FROM delivery_attempts WHERE bill_id = $1", bill_id);
  }
};

// Proves each kind's statement is its own prepared statement (a distinct name per text) and
// holds only the work of its kind: no trade number check or verify job outside `paid` and the
// unpaid endings, no job upsert in `delivered` or `unpaid`, an audit or attempt CTE only when
// the write carries one.
TEST_F(BillTransitionTest, EachKindHasItsOwnNamedStatementWithOnlyItsWork) {
  Bill bill = sample_bill("b_01", app_id_);
  auto has = [](const Statement& st, const char* fragment) {
    return st.sql.find(fragment) != std::string::npos;
  };
  TransitionWrite paid_write = to(bill, BillState::paid);
  paid_write.audit = audit_of("b_01");
  Statement paid = transition_statement(paid_write);
  EXPECT_STREQ(paid.name, "transition_paid_audited");
  EXPECT_TRUE(has(paid, "taken AS") && has(paid, "INSERT INTO jobs") && has(paid, "'verify'") &&
              has(paid, "INSERT INTO callbacks"));

  TransitionWrite delivered_write = to(bill, BillState::delivered);
  Statement delivered = transition_statement(delivered_write);
  EXPECT_STREQ(delivered.name, "transition_delivered");
  EXPECT_TRUE(has(delivered, "DELETE FROM jobs WHERE kind = 'delivery'"));
  EXPECT_FALSE(has(delivered, "taken AS") || has(delivered, "INSERT INTO") || has(delivered, "'verify'"));
  delivered_write.attempt = attempt_2xx("b_01", "k1");
  Statement recorded = transition_statement(delivered_write);
  EXPECT_STREQ(recorded.name, "transition_delivered_recorded");
  EXPECT_TRUE(has(recorded, "INSERT INTO delivery_attempts"));

  Statement refunded = transition_statement(to(bill, BillState::refunded));
  EXPECT_STREQ(refunded.name, "transition_refunded");
  EXPECT_TRUE(has(refunded, "INSERT INTO jobs"));
  EXPECT_FALSE(has(refunded, "taken AS") || has(refunded, "'verify'") || has(refunded, "callbacks"));

  for (BillState unpaid : {BillState::failed, BillState::closed}) {
    Statement st = transition_statement(to(bill, unpaid));
    EXPECT_STREQ(st.name, "transition_unpaid");
    EXPECT_TRUE(has(st, "'verify'"));
    EXPECT_FALSE(has(st, "taken AS") || has(st, "INSERT INTO"));
  }

  std::set<std::string> names;
  std::set<std::string> texts;
  for (const Statement* st : {&paid, &delivered, &recorded, &refunded}) {
    names.insert(st->name);
    texts.insert(st->sql);
  }
  EXPECT_EQ(names.size(), 4u);
  EXPECT_EQ(texts.size(), 4u);
}

// Proves `delivered` puts the 2xx attempt on record whether or not its compare-and-set
// applies, exactly once per attempt_key (a retried or lost-CAS statement adds no second row),
// and deletes the delivery job only when it applies.
TEST_F(BillTransitionTest, DeliveredRecordsTheAttemptWhetherOrNotTheCasApplies) {
  insert(sample_bill("b_01", app_id_));
  TransitionWrite paid = to(*load("b_01"), BillState::paid);
  ASSERT_TRUE(parse_transition_outcome(write_one(transition_statement(paid))).applied);
  ASSERT_EQ(jobs_of("b_01", "delivery"), 1);

  TransitionWrite delivered = to(paid.next, BillState::delivered);
  delivered.attempt = attempt_2xx("b_01", "key-1");
  TransitionWrite stale = delivered;
  stale.expected_version = 7;
  stale.next.version = 8;
  EXPECT_FALSE(parse_transition_outcome(write_one(transition_statement(stale))).applied);
  EXPECT_EQ(attempts_of("b_01"), 1) << "the game server has the goods: on record even when the CAS lost";
  EXPECT_EQ(jobs_of("b_01", "delivery"), 1);

  EXPECT_TRUE(parse_transition_outcome(write_one(transition_statement(delivered))).applied);
  EXPECT_EQ(attempts_of("b_01"), 1) << "the same attempt_key: recorded once";
  EXPECT_EQ(jobs_of("b_01", "delivery"), 0);
  EXPECT_EQ(load("b_01")->state, BillState::delivered);
  Rows rec = run(
      {"SELECT attempt_key, http_status, delivery_id FROM delivery_attempts WHERE bill_id = $1", {"b_01"}});
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec.text(0, 0), "key-1");
  EXPECT_EQ(rec.text(0, 1), "200");
  EXPECT_EQ(rec.text(0, 2), "d_b_01");
}

// Proves the unpaid ending (failed, closed) deletes the bill's verify job and writes its
// audit row only when the compare-and-set applies, and leaves no delivery job.
TEST_F(BillTransitionTest, UnpaidEndingDeletesTheVerifyJobAndAuditsOnlyWhenApplied) {
  Bill bill = sample_bill("b_v", app_id_);
  write_one(insert_bill(bill, std::nullopt, kIdempotencyKeepS, bill.created_at + std::chrono::seconds{60}));
  ASSERT_EQ(jobs_of("b_v", "verify"), 1);
  TransitionWrite failed = to(bill, BillState::failed);
  failed.audit = audit_of("b_v");
  TransitionWrite lost = failed;
  lost.expected_version = 5;
  EXPECT_FALSE(parse_transition_outcome(write_one(transition_statement(lost))).applied);
  EXPECT_EQ(jobs_of("b_v", "verify"), 1);
  EXPECT_EQ(audits_of("b_v"), 0);

  TransitionOutcome outcome = parse_transition_outcome(write_one(transition_statement(failed)));
  EXPECT_TRUE(outcome.applied);
  EXPECT_FALSE(outcome.leased_job);
  EXPECT_EQ(jobs_of("b_v", "verify"), 0);
  EXPECT_EQ(jobs_of("b_v", "delivery"), 0);
  EXPECT_EQ(audits_of("b_v"), 1);
  EXPECT_EQ(load("b_v")->state, BillState::failed);
}

// Proves a refund's audit row is written with its transition, and not when the
// compare-and-set loses.
TEST_F(BillTransitionTest, RefundedWritesItsAuditOnlyWhenApplied) {
  insert(sample_bill("b_r", app_id_));
  TransitionWrite paid = to(*load("b_r"), BillState::paid);
  ASSERT_TRUE(parse_transition_outcome(write_one(transition_statement(paid))).applied);
  TransitionWrite refunded = to(paid.next, BillState::refunded);
  refunded.audit = audit_of("b_r");
  TransitionWrite lost = refunded;
  lost.expected_version = 9;
  EXPECT_FALSE(parse_transition_outcome(write_one(transition_statement(lost))).applied);
  EXPECT_EQ(audits_of("b_r"), 0);
  EXPECT_TRUE(parse_transition_outcome(write_one(transition_statement(refunded))).applied);
  EXPECT_EQ(audits_of("b_r"), 1);
  EXPECT_EQ(load("b_r")->state, BillState::refunded);
  EXPECT_EQ(load("b_r")->provider_trade_no, "T-b_r");
}

}  // namespace
}  // namespace unipay::storage::test
