// SQL for wallets: create and load accounts (with their active holds), commit one ledger
// operation as one compare-and-set statement, look up an op_id's first result, page an
// account's ledger, and find holds due to expire. Reports and reconciliation are in
// storage/ledger_reports.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/wallet.hpp"

namespace unipay::storage {

// Inserts the account (balance 0, version 1) unless (app_id, account_id) exists. One row:
// column 0 't' when inserted, 'f' when it existed, then the account as stored (parse with
// parse_account, offset 1). No row when another session created it in the same instant:
// read it with select_account.
Statement insert_account(const Account& account);

// The account and its active holds: one row per active hold (hold columns NULL when none),
// or no row when the account does not exist.
Statement select_account(const std::string& app_id, const std::string& account_id);
// The account from a row of insert_account or select_account, its columns starting at `col`.
std::optional<Account> parse_account(const Rows& rows, size_t row = 0, size_t col = 0);
// The account with its active holds, from select_account's rows.
struct AccountWithHolds {
  Account account;
  std::vector<Hold> active_holds;
};
std::optional<AccountWithHolds> parse_account_with_holds(const Rows& rows);

// One hold of the app, in any state (capture and void of a hold that is no longer active).
Statement select_hold(const std::string& app_id, const std::string& hold_id);
std::optional<Hold> parse_hold(const Rows& rows, size_t row = 0, size_t col = 0);
// Several holds of the app at once (the captures and voids waiting in one batch).
Statement select_holds(const std::string& app_id, const std::vector<std::string>& hold_ids);
std::vector<Hold> parse_holds(const Rows& rows);

// What an applied ledger decision writes (actors/ledger_rules LedgerDecision).
struct LedgerCommit {
  int64_t expected_version = 0;  // compare-and-set on (app_id, account_id, version)
  OpResult result;               // the account after, the entry, the hold made or changed, the error answered
  bool hold_created = false;     // insert result.hold; else update its state and captured amount
  std::optional<OpRecord> record;  // op_id, kind, fingerprint: recorded for replays
};

// One statement: UPDATE accounts ... WHERE (app_id, account_id, version) matches and the
// op_id is not recorded yet, and, only when that row was updated, the ledger entry, the
// hold insert or update and the op record. Returns one row: applied ('t'/'f'), op_id
// already recorded ('t'/'f': then the update did not apply; read the first result with
// select_op_record), and the new entry_id (NULL without an entry). A failed
// compare-and-set raises no error, so it never aborts the other ops of a group commit;
// commits of one account's consecutive versions in one write apply together or not at all.
// The operation's time is the account's new updated_at: the entry's created_at, the hold's
// updated_at and the op record's created_at all take it.
Statement commit_statement(const LedgerCommit& commit);

struct CommitOutcome {
  bool applied = false;
  bool op_recorded_before = false;
  int64_t entry_id = 0;  // 0 without an entry
};
std::optional<CommitOutcome> parse_commit(const Rows& rows);

// The first result an op_id answered, with the facts a replay formats again: the account
// as the operation left it, the entry, the hold in the state the operation left it.
Statement select_op_record(const std::string& app_id, const std::string& op_id);
// Several at once (the op_ids waiting in one batch); rows in no particular order.
Statement select_op_records(const std::string& app_id, const std::vector<std::string>& op_ids);
std::vector<OpRecord> parse_op_records(const Rows& rows);

struct LedgerQuery {
  std::string app_id;
  std::string account_id;
  std::optional<Millis> from;             // created_at >= from
  std::optional<Millis> to;               // created_at < to
  std::optional<int64_t> after_entry_id;  // cursor: entries after this one
  int limit = 50;
};
// The account's entries oldest first (entry_id ascending), limit + 1 rows (one extra tells
// whether there is a next page). Columns as parse_entries reads them.
Statement list_entries(const LedgerQuery& query);
std::vector<LedgerEntry> parse_entries(const Rows& rows, size_t col = 0);
// The entry columns parse_entries reads, of the table aliased `alias` (for other selects).
std::string entry_columns(const std::string& alias);
inline constexpr size_t kEntryColumnCount = 12;

struct DueHold {
  std::string app_id;
  std::string account_id;
  std::string hold_id;
  Millis expires_at{};
};
// Active holds whose expires_at has passed, earliest first, at most `limit`; rows whose
// account commit is in flight (locked) are skipped rather than waited for: that commit's
// actor is at work and will see them. The sweep hands each to its account's actor.
Statement select_due_holds(int limit);
std::vector<DueHold> parse_due_holds(const Rows& rows);

}  // namespace unipay::storage
