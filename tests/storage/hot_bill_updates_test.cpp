// Migration 007 (storage/migrations/007_hot_bill_updates.sql): a paid bill's later
// transitions update its row in place (HOT), expiry still finds `created` bills through its
// partial index, `awaiting_payment` cannot drift from `state`, and a database upgraded with
// bills in it gets the column right. Against the real PostgreSQL.
#include <gtest/gtest.h>

#include <string>

#include "storage/app_store.hpp"
#include "storage/bill_store.hpp"
#include "storage/delivery_attempt_store.hpp"
#include "storage/migrations.hpp"
#include "storage/recharge_store.hpp"
#include "storage/store_fixture.hpp"

namespace unipay::storage::test {
namespace {

using std::chrono::milliseconds;

class HotBillUpdatesTest : public StoreTest {
 protected:
  static TransitionWrite to(const Bill& bill, BillState state) {
    TransitionWrite w;
    w.next = bill;
    w.next.state = state;
    w.next.version = bill.version + 1;
    w.expected_version = bill.version;
    w.lease_owner = "node-a";
    if (state == BillState::paid) {
      w.next.provider_trade_no = "T-" + bill.bill_id;
      w.next.paid_at = bill.created_at + milliseconds{5000};
    }
    if (state == BillState::delivered) {
      w.next.delivered_at = bill.created_at + milliseconds{9000};
      w.attempt = DeliveryAttempt{};
      w.attempt->attempt_key = "key-" + bill.bill_id;
      w.attempt->bill_id = bill.bill_id;
      w.attempt->delivery_id = "d_" + bill.bill_id;
      w.attempt->attempt = 1;
      w.attempt->node_id = "node-a";
      w.attempt->started_at = now_ms();
      w.attempt->http_status = 200;
    }
    return w;
  }

  // The statement run in a transaction of its own session; how many `bills` rows it updated
  // and how many of those in place, from that transaction's own statistics.
  std::pair<int64_t, int64_t> updates_by(const Statement& statement) {
    pg::Conn conn = scratch_.connect();
    EXPECT_TRUE(pg::exec(conn.get(), {"BEGIN", {}}, Errc::storage_write).ok());
    auto applied = pg::exec(conn.get(), statement, Errc::storage_write);
    EXPECT_TRUE(applied.ok()) << (applied.ok() ? "" : applied.error().message);
    auto stats = pg::exec(
        conn.get(),
        {"SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'bills'", {}},
        Errc::storage_read);
    EXPECT_TRUE(stats.ok() && stats->size() == 1);
    EXPECT_TRUE(pg::exec(conn.get(), {"COMMIT", {}}, Errc::storage_write).ok());
    if (!stats.ok() || stats->size() != 1) return {-1, -1};
    return {std::stoll(stats->text(0, 0)), std::stoll(stats->text(0, 1))};
  }

  bool awaiting_payment(const std::string& bill_id) {
    return run({"SELECT awaiting_payment FROM bills WHERE bill_id = $1", {bill_id}}).text(0, 0) == "t";
  }
};

// Proves `paid` → `delivered` is an in-place (HOT) update, which it was not while the expiry
// index's predicate named `state`; `paid` itself still is not (it sets the indexed trade
// number and paid_at), which also shows the count can tell the two apart.
TEST_F(HotBillUpdatesTest, DeliveredUpdatesTheRowInPlace) {
  insert(sample_bill("b_01", app_id_));
  EXPECT_TRUE(awaiting_payment("b_01"));
  TransitionWrite paid = to(*load("b_01"), BillState::paid);
  EXPECT_EQ(updates_by(transition_statement(paid)), (std::pair<int64_t, int64_t>{1, 0}));
  EXPECT_FALSE(awaiting_payment("b_01"));

  TransitionWrite delivered = to(paid.next, BillState::delivered);
  EXPECT_EQ(updates_by(transition_statement(delivered)), (std::pair<int64_t, int64_t>{1, 1}));
  EXPECT_EQ(load("b_01")->state, BillState::delivered);
}

// Proves the expiry claim is served by the partial index (its WHERE implies the index's
// predicate) and claims only bills still awaiting payment.
TEST_F(HotBillUpdatesTest, ExpiryClaimsThroughThePartialIndex) {
  Bill open = sample_bill("b_01", app_id_);
  open.expires_at = open.created_at - milliseconds{1000};
  insert(open);
  Bill paid_bill = sample_bill("b_02", app_id_);
  paid_bill.expires_at = open.expires_at;
  insert(paid_bill);
  ASSERT_TRUE(
      parse_transition_outcome(write_one(transition_statement(to(*load("b_02"), BillState::paid)))).applied);

  Statement claim = claim_expired_bills(ExpiryCursor{}, 10);
  Rows claimed = run(claim);
  ASSERT_EQ(claimed.size(), 1u);
  EXPECT_EQ(claimed.text(0, 0), "b_01");

  pg::Conn conn = scratch_.connect();
  ASSERT_TRUE(pg::exec(conn.get(), {"SET enable_seqscan = off", {}}, Errc::storage_read).ok());
  claim.sql = "EXPLAIN " + claim.sql;
  auto plan = pg::exec(conn.get(), claim, Errc::storage_read);
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  std::string text;
  for (size_t i = 0; i < plan->size(); ++i) text += plan->text(i, 0) + "\n";
  EXPECT_NE(text.find("bills_expiring"), std::string::npos) << text;
}

// Proves writers that do not know the column (a node on the previous binary during a
// rolling upgrade, a hand edit) still leave it right: the trigger sets it from `state`, so an
// old node's new bill is found by expiry and its paid or closed bill is not.
TEST_F(HotBillUpdatesTest, WritersUnawareOfTheColumnGetItFromState) {
  run(
      {"INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, currency, "
       "state, version, client_token_hash, created_at, expires_at) VALUES ('b_old', $1, 'u', 'i', 'sandbox', "
       "'purchase', 100, 'USD', 'created', 1, 'h', now() - interval '1 hour', now() - interval '1 minute')",
       {app_id_}});
  EXPECT_TRUE(awaiting_payment("b_old"));
  EXPECT_EQ(run(claim_expired_bills(ExpiryCursor{}, 10)).size(), 1u);
  run({"UPDATE bills SET state = 'closed', version = version + 1 WHERE bill_id = 'b_old'", {}});
  EXPECT_FALSE(awaiting_payment("b_old"));
  EXPECT_EQ(run(claim_expired_bills(ExpiryCursor{}, 10)).size(), 0u);
}

// Proves the CHECK holds the invariant itself: with the trigger off (as a careless restore
// might leave it), a write of `state` alone is refused and changes nothing.
TEST_F(HotBillUpdatesTest, CheckRefusesAStateThatLeftTheColumnBehind) {
  insert(sample_bill("b_01", app_id_));
  pg::Conn conn = scratch_.connect();
  const char* script =
      "BEGIN; ALTER TABLE bills DISABLE TRIGGER bills_awaiting_payment_follows_state; "
      "UPDATE bills SET state = 'closed' WHERE bill_id = 'b_01'; COMMIT";
  auto refused = pg::exec_script(conn.get(), script, Errc::storage_write);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("bills_awaiting_payment_is_created"), std::string::npos)
      << refused.error().message;
  (void)pg::exec_script(conn.get(), "ROLLBACK", Errc::storage_write);
  EXPECT_EQ(load("b_01")->state, BillState::created);
  EXPECT_TRUE(awaiting_payment("b_01"));
}

// Proves this binary's own writes never run the trigger's function (its WHEN clause is false
// for them), so the compatibility costs the hot path nothing but that test; a hand edit in
// the same session does run it, which shows the count can tell.
TEST_F(HotBillUpdatesTest, OwnWritesNeverCallTheTriggerFunction) {
  pg::Conn conn = scratch_.connect();
  auto exec = [&](const Statement& statement) {
    auto done = pg::exec(conn.get(), statement, Errc::storage_write);
    EXPECT_TRUE(done.ok()) << statement.sql.substr(0, 60) << ": " << (done.ok() ? "" : done.error().message);
  };
  auto calls = [&] {
    auto rows = pg::exec(conn.get(),
                         {"SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions "
                          "WHERE funcname = 'bills_set_awaiting_payment'",
                          {}},
                         Errc::storage_read);
    return rows.ok() ? std::stoll(rows->text(0, 0)) : -1;
  };
  exec({"SET track_functions = 'pl'", {}});
  exec({"BEGIN", {}});
  Bill bill = sample_bill("b_01", app_id_);
  exec(insert_bill(bill, std::nullopt, kIdempotencyKeepS));
  TransitionWrite paid = to(bill, BillState::paid);
  exec(transition_statement(paid));
  exec(transition_statement(to(paid.next, BillState::delivered)));
  EXPECT_EQ(calls(), 0);
  exec({"UPDATE bills SET state = 'refunded', version = version + 1 WHERE bill_id = 'b_01'", {}});
  EXPECT_EQ(calls(), 0) << "the WHEN clause is false: state left `created` long ago";
  exec({"UPDATE bills SET state = 'created' WHERE bill_id = 'b_01'", {}});
  EXPECT_EQ(calls(), 1);
  exec({"ROLLBACK", {}});
}

// Proves the recharge path (its own UPDATE, not the transition statement) keeps the column
// consistent too: a paid recharge bill marked delivered stays out of the expiry index.
TEST_F(HotBillUpdatesTest, RechargeDeliveredKeepsTheColumn) {
  Bill bill = sample_bill("b_01", app_id_);
  bill.bill_type = BillType::recharge;
  insert(bill);
  ASSERT_TRUE(
      parse_transition_outcome(write_one(transition_statement(to(*load("b_01"), BillState::paid)))).applied);
  EXPECT_EQ(write_one(mark_recharge_delivered("b_01", now_ms())).text(0, 0), "t");
  EXPECT_EQ(load("b_01")->state, BillState::delivered);
  EXPECT_FALSE(awaiting_payment("b_01"));
}

// Proves the upgrade of a database that already holds bills: after migrations 1–6 and bills
// in four states, applying 007 marks only the `created` one as awaiting payment, and the
// expiry claim then finds exactly that one.
TEST(HotBillUpdatesUpgrade, ExistingBillsGetTheColumnFromTheirState) {
  scratch::ScratchDatabase db(/*migrate=*/false);
  if (db.conninfo().empty()) GTEST_SKIP() << "UNIPAY_TEST_DATABASE_URL is not set";
  pg::Conn conn = db.connect();
  auto script = [&](const std::string& sql) {
    auto done = pg::exec_script(conn.get(), sql.c_str(), Errc::storage_write);
    ASSERT_TRUE(done.ok()) << sql.substr(0, 80) << ": " << done.error().message;
  };
  ASSERT_TRUE(scratch::migrate_below(conn.get(), 7));
  App app;
  app.app_id = "app1";
  app.name = "Game app1";
  app.delivery_url = "https://game.example/deliver";
  app.secrets = {"secret-app1"};
  for (const Statement& statement : insert_app(app, {})) {
    auto inserted = pg::exec(conn.get(), statement, Errc::storage_write);
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
  }
  script(
      "INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, currency, "
      "state, version, client_token_hash, created_at, expires_at) "
      "SELECT 'b_' || s, 'app1', 'u', 'i', 'sandbox', 'purchase', 100, 'USD', s, 1, 'h', "
      "now() - interval '1 hour', now() - interval '1 minute' "
      "FROM unnest(ARRAY['created', 'paid', 'delivered', 'closed']) s");

  auto applied = apply_migrations(db.conninfo());
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  auto rows = pg::exec(conn.get(), {"SELECT bill_id, awaiting_payment FROM bills ORDER BY bill_id", {}},
                       Errc::storage_read);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  std::string got;
  for (size_t i = 0; i < rows->size(); ++i) got += rows->text(i, 0) + "=" + rows->text(i, 1) + " ";
  EXPECT_EQ(got, "b_closed=f b_created=t b_delivered=f b_paid=f ");
  auto claimed = pg::exec(conn.get(), claim_expired_bills(ExpiryCursor{}, 10), Errc::storage_read);
  ASSERT_TRUE(claimed.ok()) << claimed.error().message;
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->text(0, 0), "b_created");
}

}  // namespace
}  // namespace unipay::storage::test
