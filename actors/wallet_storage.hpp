// Where wallet actors read and commit their account. The actor sees only this interface,
// so it is driven by a fake on CAF's test_coordinator in tests/actors/wallet_actor_test.cpp
// (as bill actors are through BillStorage). Typed, so the fake needs no SQL rows; the SQL
// stays in storage/wallet_store.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/result.hpp"
#include "storage/database.hpp"
#include "storage/wallet_store.hpp"

namespace unipay {

// What a batch needs besides the account: the first results of its op_ids, and the holds
// its captures and voids name that are not among the account's active ones.
struct WalletLookups {
  std::vector<OpRecord> records;
  std::vector<Hold> holds;
};

// The commits of one account's consecutive versions, with statements that belong in the
// same transaction (a recharge bill's move to delivered).
struct WalletWrite {
  std::vector<storage::LedgerCommit> commits;
  std::vector<storage::Statement> also;
};

// An account insert: whether this call inserted it, and the account as stored (none when
// another session inserted it in the same instant: read it again).
struct InsertOutcome {
  bool inserted = false;
  std::optional<Account> account;
};

class WalletStorage {
 public:
  template <class T>
  using Done = std::function<void(Result<T>)>;

  virtual ~WalletStorage() = default;
  // Every callback runs once, on another thread: it must only hand the result on
  // (caf::anon_send). None of these blocks the caller.
  // The account and its active holds; none when there is no such account.
  virtual void load(const std::string& app_id, const std::string& account_id,
                    Done<std::optional<storage::AccountWithHolds>> done) = 0;
  virtual void lookup(const std::string& app_id, std::vector<std::string> op_ids,
                      std::vector<std::string> hold_ids, Done<WalletLookups> done) = 0;
  virtual void insert(const Account& account, Done<InsertOutcome> done) = 0;
  // One write (one transaction): one outcome per commit, in order.
  virtual void commit(WalletWrite write, Done<std::vector<storage::CommitOutcome>> done) = 0;
};

// The production storage: reads on the reader pool, commits through the grouped writer.
// `db` must outlive it.
std::unique_ptr<WalletStorage> make_database_wallet_storage(storage::Database& db);

}  // namespace unipay
