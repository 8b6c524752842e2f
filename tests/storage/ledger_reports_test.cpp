// Reconciliation, statements and settlement against a real PostgreSQL: clean books report
// nothing, mismatches injected directly in SQL are each found with what was expected and
// what is there; a day's statement pages in order; month and day figures add up.
#include "storage/ledger_reports.hpp"

#include "storage/wallet_fixture.hpp"

namespace unipay::storage::test {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

class LedgerReportsTest : public WalletFixture {
 protected:
  // Commits `c` at time `at`, which must apply; returns the account after it.
  Account commit_at(LedgerCommit c, Millis at) {
    c.result.account.updated_at = at;
    if (c.result.entry) c.result.entry->created_at = at;
    EXPECT_TRUE(commit(c).applied) << (c.record ? c.record->op_id : "");
    return c.result.account;
  }

  Reconciliation reconcile(const std::string& app_id, int limit = 100) {
    auto r = parse_reconciliation(run(reconcile_ledger(app_id, limit)), limit);
    EXPECT_TRUE(r);
    return r.value_or(Reconciliation{});
  }

  // Two accounts with entries and an active hold, all consistent.
  void build_books() {
    Account a = create("acc1");
    a = commit_at(entry_commit(a, "a1", 100), now_);
    a = commit_at(entry_commit(a, "a2", -40), now_);
    a = commit_at(hold_commit(a, "a3", "h_1", 25, seconds{60}), now_);
    Account b = create("acc2");
    b = commit_at(entry_commit(b, "b1", 7, EntryKind::recharge), now_);
  }
};

// Proves consistent books reconcile with no mismatch and the counts of what was checked.
TEST_F(LedgerReportsTest, CleanBooksHaveNoMismatch) {
  build_books();
  Reconciliation r = reconcile("app1");
  EXPECT_EQ(r.accounts_checked, 2);
  EXPECT_EQ(r.entries_checked, 3);
  EXPECT_TRUE(r.mismatches.empty());
  EXPECT_FALSE(r.truncated);
}

// Proves `unipayd reconcile` finds every app, with or without books, in id order.
TEST_F(LedgerReportsTest, AppIdsListsEveryAppInOrder) {
  add_app("app0");
  add_app("app2");
  Rows rows = run(reconciliation_app_ids());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.text(0, 0), "app0");
  EXPECT_EQ(rows.text(1, 0), "app1");
  EXPECT_EQ(rows.text(2, 0), "app2");
}

// Proves each kind of mismatch injected in SQL is found, with expected and actual: a
// balance that is not the sum of its entries, held that is not the sum of active holds, and
// an entry that does not chain on the one before. Another app's books are not included,
// and "" checks every app.
TEST_F(LedgerReportsTest, FindsMismatchesInjectedInSql) {
  build_books();
  add_app("app2");
  Account other = create("acc9", "app2");
  commit_at(entry_commit(other, "x1", 5), now_);
  run({"UPDATE accounts SET balance_minor = balance_minor + 7 WHERE account_id = 'acc1'", {}});
  run({"UPDATE accounts SET held_minor = held_minor + 1 WHERE account_id = 'acc1'", {}});
  run(
      {"INSERT INTO ledger_entries (app_id, account_id, op_id, kind, amount_minor, balance_before_minor, "
       "balance_after_minor, created_at) VALUES ('app1', 'acc2', 'forged', 'credit', 5, 999, 1004, now())",
       {}});

  Reconciliation r = reconcile("app1");
  EXPECT_EQ(r.accounts_checked, 2);
  EXPECT_EQ(r.entries_checked, 4);
  ASSERT_EQ(r.mismatches.size(), 4u);
  auto expect = [&](size_t i, const char* account, const char* kind, const char* expected,
                    const char* actual) {
    EXPECT_EQ(r.mismatches[i].app_id, "app1");
    EXPECT_EQ(r.mismatches[i].account_id, account);
    EXPECT_EQ(r.mismatches[i].kind, kind);
    EXPECT_EQ(r.mismatches[i].expected, expected);
    EXPECT_EQ(r.mismatches[i].actual, actual);
  };
  expect(0, "acc1", "balance", "60", "67");
  expect(1, "acc1", "held", "25", "26");
  expect(2, "acc2", "balance", "12", "7");
  expect(3, "acc2", "chain", "7", "999");
  EXPECT_GT(r.mismatches[3].entry_id, 0);

  EXPECT_TRUE(reconcile("app2").mismatches.empty());
  Reconciliation all = reconcile("");
  EXPECT_EQ(all.accounts_checked, 3);
  EXPECT_EQ(all.mismatches.size(), 4u);
  Reconciliation first = reconcile("app1", 1);
  EXPECT_EQ(first.mismatches.size(), 1u);
  EXPECT_TRUE(first.truncated);
}

// Proves a day's statement lists that day's entries of the app oldest first with their
// unit, page by page through the cursor, and the bills paid that day.
TEST_F(LedgerReportsTest, StatementOfADayPagesInOrder) {
  const auto [day, next_day] = *utc_day_bounds("2026-11-21");
  Account coin = create("acc1");
  Account gem = create("acc2", "app1", "GEM");
  coin = commit_at(entry_commit(coin, "e-before", 50), day - seconds{1});
  coin = commit_at(entry_commit(coin, "e1", 10), day);
  gem = commit_at(entry_commit(gem, "e2", 20), day + hours{1});
  coin = commit_at(entry_commit(coin, "e3", -5), day + hours{2});
  coin = commit_at(entry_commit(coin, "e-after", 1), next_day);

  auto page = parse_statement_entries(run(statement_entries("app1", day, next_day, std::nullopt, 2)));
  ASSERT_EQ(page.size(), 3u);  // limit + 1: there is a next page
  EXPECT_EQ(page[0].entry.op_id, "e1");
  EXPECT_EQ(page[0].unit, "COIN");
  EXPECT_EQ(page[1].entry.op_id, "e2");
  EXPECT_EQ(page[1].unit, "GEM");
  EntryCursor cursor{page[1].entry.created_at, page[1].entry.entry_id};
  page = parse_statement_entries(run(statement_entries("app1", day, next_day, cursor, 2)));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].entry.op_id, "e3");
  EXPECT_EQ(page[0].entry.amount_minor, -5);

  Bill paid = sample_bill("b_1", app_id_);
  paid.state = BillState::delivered;
  paid.provider_trade_no = "T1";
  paid.paid_at = day + hours{3};
  paid.delivered_at = day + hours{4};
  insert(paid);
  Bill unpaid = sample_bill("b_2", app_id_);
  insert(unpaid);
  auto bills = parse_statement_bills(run(statement_bills("app1", day, next_day, std::nullopt, 10)));
  ASSERT_EQ(bills.size(), 1u);
  EXPECT_EQ(bills[0].bill_id, "b_1");
  EXPECT_EQ(bills[0].state, "delivered");
  EXPECT_EQ(bills[0].amount_minor, 699);
  EXPECT_EQ(bills[0].provider_trade_no, "T1");
  EXPECT_EQ(bills[0].paid_at, day + hours{3});
  EXPECT_EQ(bills[0].delivered_at, day + hours{4});
  BillCursor after{bills[0].paid_at, bills[0].bill_id};
  EXPECT_TRUE(parse_statement_bills(run(statement_bills("app1", day, next_day, after, 10))).empty());
}

// Proves the month's settlement sums bills per channel and currency (paid, delivered,
// refunded) and entries per unit and kind, and the daily report splits the same per day.
TEST_F(LedgerReportsTest, SettlementAndDailyFiguresAddUp) {
  const auto [month, next_month] = *utc_month_bounds("2026-11");
  const Millis day1 = month + hours{24 * 20};
  const Millis day2 = day1 + hours{24};
  auto bill = [&](const std::string& id, const std::string& channel, int64_t amount, BillState state,
                  Millis paid, std::optional<Millis> delivered) {
    Bill b = sample_bill(id, app_id_);
    b.channel = channel;
    b.amount_minor = amount;
    b.state = state;
    b.provider_trade_no = "T" + id;
    b.paid_at = paid;
    b.delivered_at = delivered;
    insert(b);
  };
  bill("b_1", "sandbox", 100, BillState::delivered, day1, day1 + hours{1});
  bill("b_2", "sandbox", 200, BillState::refunded, day1, std::nullopt);
  bill("b_3", "sandbox", 300, BillState::paid, day2, std::nullopt);
  bill("b_4", "stripe", 400, BillState::delivered, day2, day2);
  bill("b_5", "stripe", 999, BillState::paid, next_month, std::nullopt);  // next month

  auto channels = parse_settlement_by_channel(run(settlement_by_channel("app1", month, next_month)));
  ASSERT_EQ(channels.size(), 2u);
  EXPECT_EQ(channels[0].channel, "sandbox");
  EXPECT_EQ(channels[0].currency, "USD");
  EXPECT_EQ(channels[0].paid_count, 3);
  EXPECT_EQ(channels[0].paid_minor, 600);
  EXPECT_EQ(channels[0].delivered_count, 1);
  EXPECT_EQ(channels[0].delivered_minor, 100);
  EXPECT_EQ(channels[0].refunded_count, 1);
  EXPECT_EQ(channels[0].refunded_minor, 200);
  EXPECT_EQ(channels[1].channel, "stripe");
  EXPECT_EQ(channels[1].paid_minor, 400);
  EXPECT_EQ(channels[1].delivered_count, 1);

  auto days = parse_channel_report(run(channel_report_daily("app1", month, next_month)));
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[0].day, "2026-11-21");
  EXPECT_EQ(days[0].figures.paid_count, 2);
  EXPECT_EQ(days[0].figures.delivered_count, 1);
  EXPECT_EQ(days[1].day, "2026-11-22");
  EXPECT_EQ(days[1].figures.channel, "sandbox");
  EXPECT_EQ(days[1].figures.paid_minor, 300);
  EXPECT_EQ(days[2].figures.channel, "stripe");

  Account coin = create("acc1");
  coin = commit_at(entry_commit(coin, "u1", 50), day1);
  coin = commit_at(entry_commit(coin, "u2", 30, EntryKind::recharge), day1);
  coin = commit_at(entry_commit(coin, "u3", -20), day2);
  coin = commit_at(entry_commit(coin, "u4", -5), day2);
  coin = commit_at(entry_commit(coin, "u5", 1), next_month);
  auto units = parse_settlement_by_unit(run(settlement_by_unit("app1", month, next_month)));
  ASSERT_EQ(units.size(), 3u);
  EXPECT_EQ(units[0].unit, "COIN");
  EXPECT_EQ(units[0].kind, EntryKind::credit);
  EXPECT_EQ(units[0].count, 1);
  EXPECT_EQ(units[0].sum_minor, 50);
  EXPECT_EQ(units[1].kind, EntryKind::debit);
  EXPECT_EQ(units[1].count, 2);
  EXPECT_EQ(units[1].sum_minor, -25);
  EXPECT_EQ(units[2].kind, EntryKind::recharge);
  EXPECT_EQ(units[2].sum_minor, 30);
}

}  // namespace
}  // namespace unipay::storage::test
