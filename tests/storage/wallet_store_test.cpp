// Wallet SQL against a real PostgreSQL: account creation, the compare-and-set commit (once,
// never on a stale version, never twice for one op_id), consecutive commits in one write,
// op records for replays, ledger paging, the due-hold sweep, and what the schema refuses.
#include "storage/wallet_store.hpp"

#include "storage/wallet_fixture.hpp"

namespace unipay::storage::test {
namespace {

using std::chrono::seconds;

using WalletStoreTest = WalletFixture;

// Proves create inserts once (version 1, empty), finds the existing account after, and that
// another app's account of the same id is another account.
TEST_F(WalletStoreTest, CreateAccountOnceThenFindsIt) {
  Account a = create("acc1");
  EXPECT_EQ(a.version, 1);
  EXPECT_EQ(a.balance_minor, 0);
  EXPECT_EQ(a.created_at, now_);
  Account again = a;
  again.unit = "USD";
  Rows rows = write_one(insert_account(again));
  EXPECT_EQ(rows.text(0, 0), "f");
  EXPECT_EQ(parse_account(rows, 0, 1)->unit, "COIN");
  auto loaded = load("acc1");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->account.unit, "COIN");
  EXPECT_TRUE(loaded->active_holds.empty());
  EXPECT_FALSE(load("acc1", "app2"));
  add_app("app2");
  create("acc1", "app2");
  EXPECT_TRUE(load("acc1", "app2"));
}

// Proves the commit applies once: the account, entry and op record are written together; a
// stale version applies nothing and inserts nothing; the same op_id again reports that it
// was recorded before and applies nothing.
TEST_F(WalletStoreTest, CommitAppliesOnceAndStaleVersionWritesNothing) {
  Account a = create("acc1");
  LedgerCommit credit = entry_commit(a, "op-1", 500);
  CommitOutcome first = commit(credit);
  EXPECT_TRUE(first.applied);
  EXPECT_FALSE(first.op_recorded_before);
  EXPECT_GT(first.entry_id, 0);
  auto stored = load("acc1");
  EXPECT_EQ(stored->account.balance_minor, 500);
  EXPECT_EQ(stored->account.version, 2);
  EXPECT_EQ(stored->account.updated_at, credit.result.account.updated_at);
  EXPECT_EQ(count("ledger_entries"), 1);
  EXPECT_EQ(count("wallet_ops"), 1);

  CommitOutcome stale = commit(entry_commit(a, "op-2", 700));  // still expects version 1
  EXPECT_FALSE(stale.applied);
  EXPECT_FALSE(stale.op_recorded_before);
  EXPECT_EQ(stale.entry_id, 0);
  CommitOutcome repeated = commit(entry_commit(stored->account, "op-1", 500));
  EXPECT_FALSE(repeated.applied);
  EXPECT_TRUE(repeated.op_recorded_before);
  EXPECT_EQ(load("acc1")->account.balance_minor, 500);
  EXPECT_EQ(load("acc1")->account.version, 2);
  EXPECT_EQ(count("ledger_entries"), 1);
  EXPECT_EQ(count("wallet_ops"), 1);
}

// Proves op_ids are unique per app across accounts (another account's commit with a used
// op_id applies nothing) and independent between apps.
TEST_F(WalletStoreTest, OpIdIsUniquePerAppAcrossAccounts) {
  Account a = create("acc1");
  Account b = create("acc2");
  EXPECT_TRUE(commit(entry_commit(a, "shared", 10)).applied);
  CommitOutcome other_account = commit(entry_commit(b, "shared", 10));
  EXPECT_FALSE(other_account.applied);
  EXPECT_TRUE(other_account.op_recorded_before);
  EXPECT_EQ(load("acc2")->account.balance_minor, 0);

  // Any visible ASCII is an op_id: quotes, backslashes, commas and braces survive the
  // text[] parameter of the batch lookup.
  const std::string odd = R"(we"ird\id,{x})";
  ASSERT_TRUE(commit(entry_commit(load("acc2")->account, odd, 3)).applied);
  auto found = parse_op_records(run(select_op_records("app1", {odd, "shared"})));
  ASSERT_EQ(found.size(), 2u);
  EXPECT_TRUE(found[0].op_id == odd || found[1].op_id == odd);

  add_app("app2");
  Account c = create("acc1", "app2");
  EXPECT_TRUE(commit(entry_commit(c, "shared", 10)).applied);
  EXPECT_EQ(count("ledger_entries"), 3);
}

// Proves consecutive versions committed in one write apply together, and that when the
// first is stale none of them applies (the later ones expect versions that never came).
TEST_F(WalletStoreTest, ConsecutiveCommitsInOneWriteApplyTogetherOrNotAtAll) {
  Account a = create("acc1");
  LedgerCommit c1 = entry_commit(a, "b-1", 100);
  LedgerCommit c2 = entry_commit(c1.result.account, "b-2", -30);
  LedgerCommit c3 = entry_commit(c2.result.account, "b-3", 5);
  auto result = write_sync(*db_, {commit_statement(c1), commit_statement(c2), commit_statement(c3)});
  ASSERT_TRUE(result.ok()) << result.error().message;
  for (const Rows& rows : *result) EXPECT_TRUE(parse_commit(rows)->applied);
  EXPECT_EQ(load("acc1")->account.balance_minor, 75);
  EXPECT_EQ(load("acc1")->account.version, 4);

  LedgerCommit s1 = entry_commit(a, "s-1", 1);  // version 1: stale
  LedgerCommit s2 = entry_commit(s1.result.account, "s-2", 1);
  result = write_sync(*db_, {commit_statement(s1), commit_statement(s2)});
  ASSERT_TRUE(result.ok());
  for (const Rows& rows : *result) EXPECT_FALSE(parse_commit(rows)->applied);
  EXPECT_EQ(load("acc1")->account.version, 4);
  EXPECT_EQ(count("ledger_entries"), 3);
}

// Proves a hold, then its capture: the account loads with its active hold, the capture
// ends it with a capture entry, and each op record answers the hold as that op left it.
TEST_F(WalletStoreTest, HoldCaptureAndOpRecordsRoundTrip) {
  Account a = create("acc1");
  LedgerCommit fund = entry_commit(a, "fund", 100);
  ASSERT_TRUE(commit(fund).applied);
  LedgerCommit hold = hold_commit(fund.result.account, "hold-op", "h_1", 60, seconds{30});
  ASSERT_TRUE(commit(hold).applied);
  auto loaded = load("acc1");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->account.held_minor, 60);
  ASSERT_EQ(loaded->active_holds.size(), 1u);
  EXPECT_EQ(loaded->active_holds[0].hold_id, "h_1");
  EXPECT_EQ(loaded->active_holds[0].expires_at, now_ + seconds{30});

  LedgerCommit capture;
  capture.expected_version = 3;
  capture.result.account = hold.result.account;
  capture.result.account.version = 4;
  capture.result.account.balance_minor = 55;
  capture.result.account.held_minor = 0;
  capture.result.account.updated_at = now_ + seconds{1};
  capture.result.hold = *hold.result.hold;
  capture.result.hold->state = HoldState::captured;
  capture.result.hold->captured_minor = 45;
  capture.result.entry = LedgerEntry{0,  "app1", "acc1", "cap-op", EntryKind::capture, -45, 100,
                                     55, "h_1",  "",     "",       now_ + seconds{1}};
  capture.record = OpRecord{"cap-op", "capture", "fp-cap", {}};
  CommitOutcome captured = commit(capture);
  ASSERT_TRUE(captured.applied);
  EXPECT_TRUE(load("acc1")->active_holds.empty());
  auto hold_now = parse_hold(run(select_hold("app1", "h_1")));
  EXPECT_EQ(hold_now->state, HoldState::captured);
  EXPECT_EQ(hold_now->captured_minor, 45);
  EXPECT_FALSE(parse_hold(run(select_hold("app2", "h_1"))));

  auto records = parse_op_records(run(select_op_records("app1", {"hold-op", "cap-op", "fund", "nope"})));
  ASSERT_EQ(records.size(), 3u);
  std::map<std::string, OpRecord> by_id;
  for (auto& r : records) by_id[r.op_id] = r;
  const OpResult& held = by_id.at("hold-op").result;
  EXPECT_EQ(by_id.at("hold-op").fingerprint, "fp-hold-op");
  EXPECT_EQ(held.hold->state, HoldState::active) << "the hold as the hold op left it";
  EXPECT_EQ(held.hold->captured_minor, 0);
  EXPECT_EQ(held.account.version, 3);
  EXPECT_EQ(held.account.held_minor, 60);
  EXPECT_FALSE(held.entry);
  const OpResult& cap = by_id.at("cap-op").result;
  EXPECT_EQ(cap.hold->state, HoldState::captured);
  EXPECT_EQ(cap.entry->entry_id, captured.entry_id);
  EXPECT_EQ(cap.entry->amount_minor, -45);
  EXPECT_EQ(cap.entry->hold_id, "h_1");
  EXPECT_EQ(cap.account.balance_minor, 55);
  EXPECT_EQ(cap.account.updated_at, now_ + seconds{1});
  const OpResult& funded = by_id.at("fund").result;
  EXPECT_EQ(funded.entry->info_json, R"({"op": "fund"})");
  EXPECT_EQ(funded.entry->reason, "reason fund");
  EXPECT_EQ(funded.account.version, 2);
  EXPECT_FALSE(funded.error);
  EXPECT_EQ(parse_op_records(run(select_op_record("app1", "fund"))).size(), 1u);
  EXPECT_TRUE(parse_op_records(run(select_op_record("app2", "fund"))).empty());
}

// Proves an op record keeps the error an applied change answered (capture of an expired hold).
TEST_F(WalletStoreTest, OpRecordKeepsTheAnsweredError) {
  Account a = create("acc1");
  LedgerCommit fund = entry_commit(a, "fund", 100);
  ASSERT_TRUE(commit(fund).applied);
  LedgerCommit hold = hold_commit(fund.result.account, "hold-op", "h_1", 60, seconds{1});
  ASSERT_TRUE(commit(hold).applied);
  LedgerCommit late;
  late.expected_version = 3;
  late.result.account = hold.result.account;
  late.result.account.version = 4;
  late.result.account.held_minor = 0;
  late.result.hold = *hold.result.hold;
  late.result.hold->state = HoldState::expired;
  late.result.error = Errc::conflict;
  late.result.error_message = "the hold expired";
  late.record = OpRecord{"late-cap", "capture", "fp", {}};
  ASSERT_TRUE(commit(late).applied);
  auto records = parse_op_records(run(select_op_record("app1", "late-cap")));
  ASSERT_EQ(records.size(), 1u);
  ASSERT_TRUE(records[0].result.error);
  EXPECT_EQ(*records[0].result.error, Errc::conflict);
  EXPECT_EQ(records[0].result.error_message, "the hold expired");
  EXPECT_EQ(records[0].result.hold->state, HoldState::expired);
  EXPECT_FALSE(records[0].result.entry);
}

// Proves a change that carries no op_id (an expiry, a freeze) commits the account and the
// hold alone: no entry, no op record.
TEST_F(WalletStoreTest, ChangeWithoutOpIdWritesNoEntryAndNoRecord) {
  Account a = create("acc1");
  LedgerCommit fund = entry_commit(a, "fund", 100);
  ASSERT_TRUE(commit(fund).applied);
  LedgerCommit hold = hold_commit(fund.result.account, "hold-op", "h_1", 60, seconds{1});
  ASSERT_TRUE(commit(hold).applied);
  LedgerCommit expire;
  expire.expected_version = 3;
  expire.result.account = hold.result.account;
  expire.result.account.version = 4;
  expire.result.account.held_minor = 0;
  expire.result.hold = *hold.result.hold;
  expire.result.hold->state = HoldState::expired;
  EXPECT_TRUE(commit(expire).applied);
  LedgerCommit freeze;
  freeze.expected_version = 4;
  freeze.result.account = expire.result.account;
  freeze.result.account.version = 5;
  freeze.result.account.frozen = true;
  EXPECT_TRUE(commit(freeze).applied);
  auto loaded = load("acc1");
  EXPECT_EQ(loaded->account.version, 5);
  EXPECT_TRUE(loaded->account.frozen);
  EXPECT_EQ(loaded->account.held_minor, 0);
  EXPECT_TRUE(loaded->active_holds.empty());
  EXPECT_EQ(parse_hold(run(select_hold("app1", "h_1")))->state, HoldState::expired);
  EXPECT_EQ(count("ledger_entries"), 1);
  EXPECT_EQ(count("wallet_ops"), 2);
}

// Proves ledger paging: oldest first, limit + 1 rows, a cursor continues after the last
// entry, and from/to bound by created_at.
TEST_F(WalletStoreTest, LedgerPagesOldestFirst) {
  Account a = create("acc1");
  std::vector<int64_t> ids;
  for (int i = 1; i <= 5; ++i) {
    LedgerCommit c = entry_commit(a, "op-" + std::to_string(i), i);
    c.result.account.updated_at = now_ + seconds{i};  // the time of the entry, too
    c.result.entry->created_at = c.result.account.updated_at;
    ids.push_back(commit(c).entry_id);
    a = c.result.account;
  }
  LedgerQuery q{"app1", "acc1", std::nullopt, std::nullopt, std::nullopt, 2};
  auto page = parse_entries(run(list_entries(q)));
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].entry_id, ids[0]);
  EXPECT_EQ(page[0].amount_minor, 1);
  EXPECT_EQ(page[1].balance_before_minor, 1);
  EXPECT_EQ(page[1].balance_after_minor, 3);
  q.after_entry_id = page[1].entry_id;
  page = parse_entries(run(list_entries(q)));
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].entry_id, ids[2]);
  q.after_entry_id = ids[3];
  EXPECT_EQ(parse_entries(run(list_entries(q))).size(), 1u);

  LedgerQuery window{"app1", "acc1", now_ + seconds{2}, now_ + seconds{4}, std::nullopt, 10};
  page = parse_entries(run(list_entries(window)));
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].op_id, "op-2");
  EXPECT_EQ(page[1].op_id, "op-3");
  LedgerQuery other{"app1", "acc2", std::nullopt, std::nullopt, std::nullopt, 10};
  EXPECT_TRUE(parse_entries(run(list_entries(other))).empty());
}

// Proves the sweep finds only active holds past expires_at, earliest first, and skips a
// hold whose row another session holds locked instead of waiting for it.
TEST_F(WalletStoreTest, DueHoldSweepSkipsLockedRows) {
  Account a = create("acc1");
  LedgerCommit fund = entry_commit(a, "fund", 100);
  ASSERT_TRUE(commit(fund).applied);
  LedgerCommit h1 = hold_commit(fund.result.account, "o1", "h_1", 10, -seconds{5});
  ASSERT_TRUE(commit(h1).applied);
  LedgerCommit h2 = hold_commit(h1.result.account, "o2", "h_2", 10, -seconds{10});
  ASSERT_TRUE(commit(h2).applied);
  LedgerCommit h3 = hold_commit(h2.result.account, "o3", "h_3", 10, seconds{60});
  ASSERT_TRUE(commit(h3).applied);

  auto due = parse_due_holds(write_one(select_due_holds(10)));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].hold_id, "h_2");
  EXPECT_EQ(due[1].hold_id, "h_1");
  EXPECT_EQ(due[0].account_id, "acc1");
  EXPECT_EQ(due[0].expires_at, now_ - seconds{10});

  pg::Conn other = scratch_.connect();
  ASSERT_TRUE(pg::exec(other.get(), {"BEGIN", {}}, Errc::storage_write).ok());
  ASSERT_TRUE(
      pg::exec(other.get(), {"SELECT 1 FROM holds WHERE hold_id = 'h_2' FOR UPDATE", {}}, Errc::storage_write)
          .ok());
  due = parse_due_holds(write_one(select_due_holds(10)));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].hold_id, "h_1");
  ASSERT_TRUE(pg::exec(other.get(), {"ROLLBACK", {}}, Errc::storage_write).ok());
}

// Proves the schema itself refuses what the rules must never produce: spending held funds
// (held > balance), an entry whose arithmetic is wrong, and any change to a written entry;
// a refused commit changes nothing.
TEST_F(WalletStoreTest, SchemaRefusesBrokenBooks) {
  Account a = create("acc1");
  LedgerCommit fund = entry_commit(a, "fund", 100);
  ASSERT_TRUE(commit(fund).applied);
  LedgerCommit overdraw = hold_commit(fund.result.account, "o", "h_1", 101, seconds{60});
  auto refused = write_sync(*db_, {commit_statement(overdraw)});
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(count("holds"), 0);
  EXPECT_EQ(count("wallet_ops"), 1);
  EXPECT_EQ(load("acc1")->account.version, 2);

  LedgerCommit wrong = entry_commit(fund.result.account, "wrong", 5);
  wrong.result.entry->balance_after_minor += 1;
  EXPECT_FALSE(write_sync(*db_, {commit_statement(wrong)}).ok());
  EXPECT_EQ(load("acc1")->account.balance_minor, 100);

  EXPECT_FALSE(db_->run_blocking({"UPDATE ledger_entries SET amount_minor = 1", {}}).ok());
  EXPECT_FALSE(db_->run_blocking({"DELETE FROM ledger_entries", {}}).ok());
  EXPECT_EQ(count("ledger_entries"), 1);
}

}  // namespace
}  // namespace unipay::storage::test
