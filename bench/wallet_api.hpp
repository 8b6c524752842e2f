// The wallet API as the wallet scenario speaks it (docs/API.md "Wallets" and
// "Reconciliation"): account creation, the five money operations, reads of an account and
// its ledger, the server's reconciliation; and the few answer fields the scenario checks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/http_client.hpp"
#include "bench/loop.hpp"
#include "bench/unipay_api.hpp"
#include "bench/wallet_books.hpp"

namespace unipay::bench {

enum class WalletOpKind { credit, debit, hold, capture, void_hold };
const char* wallet_op_name(WalletOpKind kind);

struct WalletOp {
  WalletOpKind kind = WalletOpKind::credit;
  size_t account = 0;  // index into the scenario's accounts
  std::string account_id;
  std::string op_id;
  int64_t amount = 0;       // credit, debit, hold; capture: the amount taken (≤ the hold)
  std::string hold_id;      // capture, void
  int64_t hold_amount = 0;  // capture, void: the hold's whole amount
  int tries = 0;
  Clock::time_point first_sent;  // latency runs from the first try to the final answer
  bool hot = false;              // on the hot account (its own latency step)
};

// The operation's request, not yet signed (each try is signed afresh: a new nonce).
ClientRequest wallet_op_request(const WalletOp& op);

struct WalletAnswer {
  AccountFigures account;
  bool has_entry = false;
  std::string entry_op_id;
  int64_t entry_amount = 0;
  std::string hold_id;  // hold: the new hold's id
};
// A 200/201 answer of an operation: {"account": ...} with "entry" and/or "hold".
bool parse_wallet_answer(const ClientResponse& r, WalletAnswer& out);

ClientRequest put_account_request(const AppCreds& app, const std::string& account_id,
                                  const std::string& unit);
ClientRequest get_account_request(const AppCreds& app, const std::string& account_id);
bool parse_account_answer(const ClientResponse& r, AccountFigures& out);

// GET /v1/accounts/{id}/ledger?limit=500[&cursor=C], signed.
ClientRequest ledger_page_request(const AppCreds& app, const std::string& account_id,
                                  const std::string& cursor);
// Appends the page's entries; `next_cursor` is "" on the last page.
bool parse_ledger_page(const ClientResponse& r, std::vector<LedgerEntry>& out, std::string& next_cursor);

struct ReconciliationAnswer {
  int64_t accounts_checked = 0;
  int64_t entries_checked = 0;
  uint64_t mismatches = 0;
  bool truncated = false;
};
ClientRequest reconciliation_request(const AppCreds& app);
bool parse_reconciliation(const ClientResponse& r, ReconciliationAnswer& out);

}  // namespace unipay::bench
