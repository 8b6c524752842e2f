#include "bench/wallet_books.hpp"

namespace unipay::bench {

void AccountModel::entry(const std::string& op_id, int64_t signed_amount) {
  // The bench never acknowledges one op_id twice (a replay is compared, not applied).
  if (entries_.emplace(op_id, signed_amount).second) balance_ += signed_amount;
}

bool figures_consistent(const AccountFigures& f) {
  return f.held >= 0 && f.available >= 0 && f.available == f.balance - f.held;
}

namespace {

// Arithmetic of each entry, the chain between them, and their sum against the balance.
uint64_t chain_mismatches(const AccountFigures& figures, const std::vector<LedgerEntry>& ledger) {
  uint64_t bad = 0;
  int64_t previous_after = 0;
  int64_t sum = 0;
  for (const LedgerEntry& e : ledger) {
    if (e.balance_after != e.balance_before + e.amount) bad += 1;
    if (e.balance_before != previous_after) bad += 1;
    previous_after = e.balance_after;
    sum += e.amount;
  }
  if (sum != figures.balance) bad += 1;
  return bad;
}

}  // namespace

BooksCheck check_books(const AccountModel& model, const AccountFigures& figures,
                       const std::vector<LedgerEntry>& ledger) {
  BooksCheck out;
  out.mismatches = chain_mismatches(figures, ledger) + (figures_consistent(figures) ? 0 : 1);
  if (!model.exact()) return out;  // counted as unresolved; only the books' own rules apply
  std::unordered_map<std::string, int> seen;
  for (const LedgerEntry& e : ledger) {
    if (++seen[e.op_id] > 1) {
      out.duplicated += 1;
      continue;
    }
    auto it = model.entries().find(e.op_id);
    if (it == model.entries().end()) {
      out.unexpected += 1;
    } else if (it->second != e.amount) {
      out.mismatches += 1;
    }
  }
  for (const auto& [op_id, amount] : model.entries()) {
    if (!seen.count(op_id)) out.lost += 1;
  }
  if (figures.balance != model.balance()) out.mismatches += 1;
  if (figures.held != model.held()) out.mismatches += 1;
  return out;
}

}  // namespace unipay::bench
