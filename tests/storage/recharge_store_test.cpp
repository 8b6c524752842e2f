// storage/recharge_store and the wallet store's several-holds read against a real
// PostgreSQL: the app's wallet unit, and a recharge bill moved from paid to delivered only
// when it is a paid recharge, in the same write as the credit.
#include "storage/recharge_store.hpp"

#include "storage/bill_store.hpp"
#include "storage/wallet_fixture.hpp"

namespace unipay::storage::test {
namespace {

using std::chrono::seconds;

using RechargeStoreTest = WalletFixture;

// Proves the wallet unit defaults to COIN and an unknown app has none.
TEST_F(RechargeStoreTest, WalletUnitOfTheApp) {
  EXPECT_EQ(parse_wallet_unit(run(select_wallet_unit("app1"))), "COIN");
  run({"UPDATE apps SET wallet_unit = 'GEMS' WHERE app_id = 'app1'", {}});
  EXPECT_EQ(parse_wallet_unit(run(select_wallet_unit("app1"))), "GEMS");
  EXPECT_FALSE(parse_wallet_unit(run(select_wallet_unit("no-such-app"))));
}

// Proves the credit and the bill's move commit in one write, that the move applies only to
// a paid recharge bill (once: a second one changes nothing), and that it bumps the version.
TEST_F(RechargeStoreTest, PaidRechargeMovesToDeliveredWithItsCredit) {
  Bill bill = sample_bill("b_recharge_store_test_00000001", "app1");
  bill.bill_type = BillType::recharge;
  bill.state = BillState::paid;
  bill.provider_trade_no = "T-r1";
  bill.paid_at = bill.created_at;
  insert(bill);
  Account a = create("user-1");
  auto rows = write_sync(
      *db_, {commit_statement(entry_commit(a, "recharge:" + bill.bill_id, 100, EntryKind::recharge)),
             mark_recharge_delivered(bill.bill_id, now_)});
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(parse_commit((*rows)[0])->applied);
  EXPECT_EQ((*rows)[1].text(0, 0), "t");
  auto after = StoreTest::load(bill.bill_id);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, BillState::delivered);
  EXPECT_EQ(after->version, bill.version + 1);
  EXPECT_EQ(after->delivered_at, now_);
  EXPECT_EQ(write_one(mark_recharge_delivered(bill.bill_id, now_)).text(0, 0), "f") << "only from paid";

  Bill purchase = sample_bill("b_recharge_store_test_00000002", "app1");
  purchase.state = BillState::paid;
  purchase.provider_trade_no = "T-r2";
  purchase.paid_at = purchase.created_at;
  insert(purchase);
  EXPECT_EQ(write_one(mark_recharge_delivered(purchase.bill_id, now_)).text(0, 0), "f") << "recharges only";
  EXPECT_EQ(StoreTest::load(purchase.bill_id)->state, BillState::paid);
}

// Proves several holds are read at once, in any state, and only the app's own.
TEST_F(RechargeStoreTest, SelectHoldsReadsSeveralOfTheApp) {
  Account a = create("acc1");
  LedgerCommit fund = entry_commit(a, "fund", 100);
  ASSERT_TRUE(commit(fund).applied);
  LedgerCommit h1 = hold_commit(fund.result.account, "o1", "h_1", 10, seconds{60});
  ASSERT_TRUE(commit(h1).applied);
  LedgerCommit h2 = hold_commit(h1.result.account, "o2", "h_2", 20, seconds{60});
  ASSERT_TRUE(commit(h2).applied);
  auto holds = parse_holds(run(select_holds("app1", {"h_1", "h_2", "h_none"})));
  ASSERT_EQ(holds.size(), 2u);
  EXPECT_EQ(holds[0].amount_minor + holds[1].amount_minor, 30);
  EXPECT_TRUE(parse_holds(run(select_holds("app2", {"h_1"}))).empty());
}

}  // namespace
}  // namespace unipay::storage::test
