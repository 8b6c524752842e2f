// The wallet scenario's own bookkeeping, independent of the server: what every account must
// hold after the operations unipay acknowledged, and the check of an account's stored
// books (its final state and its whole ledger) against that model. Pure; tested in
// tests/bench/wallet_books_test.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace unipay::bench {

struct LedgerEntry {
  int64_t entry_id = 0;
  std::string op_id;
  int64_t amount = 0;  // signed: + credit, − debit and capture
  int64_t balance_before = 0;
  int64_t balance_after = 0;
};

struct AccountFigures {
  int64_t balance = 0;
  int64_t held = 0;
  int64_t available = 0;
};

// What the acknowledged operations of one account add up to.
class AccountModel {
 public:
  // An operation answered 200 with a ledger entry of this signed amount.
  void entry(const std::string& op_id, int64_t signed_amount);
  void hold_opened(int64_t amount) { held_ += amount; }
  // A hold captured (whole or part, the rest released) or voided: it no longer counts.
  void hold_closed(int64_t amount) { held_ -= amount; }
  // An operation whose outcome stayed unknown: the model cannot predict this account.
  void unresolved() { unresolved_ += 1; }

  int64_t balance() const { return balance_; }
  int64_t held() const { return held_; }
  bool exact() const { return unresolved_ == 0; }
  const std::unordered_map<std::string, int64_t>& entries() const { return entries_; }

 private:
  std::unordered_map<std::string, int64_t> entries_;  // op_id → signed amount
  int64_t balance_ = 0;
  int64_t held_ = 0;
  uint64_t unresolved_ = 0;
};

struct BooksCheck {
  uint64_t lost = 0;        // acknowledged op_ids with no entry
  uint64_t duplicated = 0;  // entries beyond the first of one op_id
  uint64_t unexpected = 0;  // entries of op_ids never acknowledged
  uint64_t mismatches = 0;  // figures, chain or amounts that disagree
};

// available = balance − held, held ≥ 0, available ≥ 0: true in every answer, at every moment.
bool figures_consistent(const AccountFigures& figures);

// The account's final figures and its whole ledger (oldest first) against the model:
// each entry's arithmetic and the chain (balance_before = the previous balance_after, 0 for
// the first), Σ amounts = balance, and, when the model is exact, every acknowledged op_id
// exactly once with its amount, nothing else, and balance and held as the model says.
BooksCheck check_books(const AccountModel& model, const AccountFigures& figures,
                       const std::vector<LedgerEntry>& ledger);

}  // namespace unipay::bench
