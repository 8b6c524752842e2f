// Shared by the wallet store tests: accounts created and loaded through the store, and
// commits built by hand as the ledger rules would build them (the storage tests do not link
// the actors library).
#pragma once

#include <optional>
#include <string>

#include "storage/store_fixture.hpp"
#include "storage/wallet_store.hpp"

namespace unipay::storage::test {

using std::chrono::milliseconds;

class WalletFixture : public StoreTest {
 protected:
  Account create(const std::string& account_id, const std::string& app_id = "app1",
                 const std::string& unit = "COIN") {
    Account a;
    a.app_id = app_id;
    a.account_id = account_id;
    a.unit = unit;
    a.created_at = now_;
    a.updated_at = now_;
    Rows rows = write_one(insert_account(a));
    EXPECT_EQ(rows.text(0, 0), "t");
    return parse_account(rows, 0, 1).value_or(Account{});
  }

  std::optional<AccountWithHolds> load(const std::string& account_id, const std::string& app_id = "app1") {
    auto rows = read_sync(*db_, select_account(app_id, account_id));
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? parse_account_with_holds(*rows) : std::nullopt;
  }

  // A commit of a credit (amount > 0) or debit (< 0) on `from`, as the rules would make it
  // (`kind` for the other kinds of entry that need no hold: recharge, refund).
  LedgerCommit entry_commit(const Account& from, const std::string& op_id, int64_t amount,
                            std::optional<EntryKind> kind = std::nullopt) {
    LedgerCommit c;
    c.expected_version = from.version;
    c.result.account = from;
    c.result.account.version = from.version + 1;
    c.result.account.balance_minor = from.balance_minor + amount;
    c.result.account.updated_at = now_ + milliseconds{from.version};
    LedgerEntry e;
    e.app_id = from.app_id;
    e.account_id = from.account_id;
    e.op_id = op_id;
    e.kind = kind.value_or(amount > 0 ? EntryKind::credit : EntryKind::debit);
    e.amount_minor = amount;
    e.balance_before_minor = from.balance_minor;
    e.balance_after_minor = from.balance_minor + amount;
    e.reason = "reason " + op_id;
    e.info_json = R"({"op": ")" + op_id + R"("})";
    e.created_at = c.result.account.updated_at;
    c.result.entry = e;
    c.record = OpRecord{op_id, std::string(to_string(e.kind)), "fp-" + op_id, {}};
    return c;
  }

  // A new hold of `amount` on `from`, expiring `ttl` from now.
  LedgerCommit hold_commit(const Account& from, const std::string& op_id, const std::string& hold_id,
                           int64_t amount, milliseconds ttl) {
    LedgerCommit c;
    c.expected_version = from.version;
    c.result.account = from;
    c.result.account.version = from.version + 1;
    c.result.account.held_minor = from.held_minor + amount;
    c.result.account.updated_at = now_ + milliseconds{from.version};
    Hold h;
    h.hold_id = hold_id;
    h.app_id = from.app_id;
    h.account_id = from.account_id;
    h.op_id = op_id;
    h.amount_minor = amount;
    h.expires_at = now_ + ttl;
    h.created_at = c.result.account.updated_at;
    h.updated_at = h.created_at;
    c.result.hold = h;
    c.hold_created = true;
    c.record = OpRecord{op_id, "hold", "fp-" + op_id, {}};
    return c;
  }

  CommitOutcome commit(const LedgerCommit& c) {
    auto outcome = parse_commit(write_one(commit_statement(c)));
    EXPECT_TRUE(outcome);
    return outcome.value_or(CommitOutcome{});
  }

  int64_t count(const std::string& table) {
    return std::stoll(run({"SELECT count(*) FROM " + table, {}}).text(0, 0));
  }

  Millis now_ = now_ms();
};

}  // namespace unipay::storage::test
