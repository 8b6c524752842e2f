// SQL for the books: ledger reconciliation (balance = sum of entries, held = sum of active
// holds, entries chain), the finance statement of a UTC day, the monthly settlement and
// the per-channel daily report. All read-only; each runs as one statement, so it sees one
// consistent snapshot of accounts, entries and holds (a commit changes them together).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/database.hpp"
#include "storage/wallet.hpp"

namespace unipay::storage {

struct LedgerMismatch {
  std::string app_id;
  std::string account_id;
  std::string kind;      // "balance", "held" or "chain"
  std::string expected;  // exact decimal (sums are computed as numeric)
  std::string actual;
  int64_t entry_id = 0;  // chain: the entry whose balance_before breaks the chain; else 0
};

struct Reconciliation {
  int64_t accounts_checked = 0;
  int64_t entries_checked = 0;
  std::vector<LedgerMismatch> mismatches;
  bool truncated = false;  // more mismatches than the limit asked for
};

// Checks every account of the app ("" = every app): balance against the sum of its
// entries ("balance"), held against the sum of its active holds ("held"), and each entry's
// balance_before against the previous entry's balance_after, 0 for the first ("chain").
// The first row carries the counts; then at most limit + 1 mismatches.
Statement reconcile_ledger(const std::string& app_id_or_empty, int limit);
std::optional<Reconciliation> parse_reconciliation(const Rows& rows, int limit);
// Every app's id in order (`unipayd reconcile` checks them one by one); column 0.
Statement reconciliation_app_ids();

// Statement of a UTC day (or any [from, to)): the app's ledger entries, oldest first
// (created_at, then entry_id), with their account's unit; limit + 1 rows from after the
// cursor (the last row's created_at and entry_id), for streaming page by page (each page is
// one index range scan, however large the day).
struct StatementEntry {
  LedgerEntry entry;
  std::string unit;
};
using EntryCursor = std::pair<Millis, int64_t>;  // created_at, entry_id
Statement statement_entries(const std::string& app_id, Millis from, Millis to,
                            const std::optional<EntryCursor>& after, int limit);
std::vector<StatementEntry> parse_statement_entries(const Rows& rows);

// The app's bills paid in [from, to) (any state now: a refunded one shows `refunded`),
// oldest payment first (paid_at, then bill_id), limit + 1 rows from after the cursor.
struct StatementBill {
  std::string bill_id;
  std::string user_id;
  std::string item_id;
  std::string channel;
  std::string bill_type;
  int64_t amount_minor = 0;
  std::string currency;
  int64_t coins = 0;
  std::string state;
  std::string provider_trade_no;
  Millis paid_at{};
  std::optional<Millis> delivered_at;
  bool late_payment = false;
};
using BillCursor = std::pair<Millis, std::string>;  // paid_at, bill_id
Statement statement_bills(const std::string& app_id, Millis from, Millis to,
                          const std::optional<BillCursor>& after, int limit);
std::vector<StatementBill> parse_statement_bills(const Rows& rows);

// Settlement of [from, to) per channel and currency: bills paid in it (paid_at), delivered
// in it (delivered_at), and of those paid in it, the ones refunded since (bills keep no
// refund time yet). Counts and sums of amount_minor.
struct ChannelSettlement {
  std::string channel;
  std::string currency;
  int64_t paid_count = 0;
  int64_t paid_minor = 0;
  int64_t delivered_count = 0;
  int64_t delivered_minor = 0;
  int64_t refunded_count = 0;
  int64_t refunded_minor = 0;
};
Statement settlement_by_channel(const std::string& app_id, Millis from, Millis to);
std::vector<ChannelSettlement> parse_settlement_by_channel(const Rows& rows);

// Settlement of [from, to) per account unit and entry kind: count and signed sum.
struct UnitSettlement {
  std::string unit;
  EntryKind kind = EntryKind::credit;
  int64_t count = 0;
  int64_t sum_minor = 0;  // signed
};
Statement settlement_by_unit(const std::string& app_id, Millis from, Millis to);
std::vector<UnitSettlement> parse_settlement_by_unit(const Rows& rows);

// Per UTC day, channel and currency in [from, to): the settlement figures of each day.
struct ChannelDay {
  std::string day;  // yyyy-mm-dd
  ChannelSettlement figures;
};
Statement channel_report_daily(const std::string& app_id, Millis from, Millis to);
std::vector<ChannelDay> parse_channel_report(const Rows& rows);

}  // namespace unipay::storage
