// Text of the finance answers (DESIGN.md §3 "Reports and reconciliation"): ledger
// reconciliation, the daily statement (JSON or CSV, written page by page), the monthly
// settlement and the per-channel daily report. Pure: rows in, text out. Money is integer
// minor units; times are RFC 3339 with milliseconds, UTC.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/ledger_reports.hpp"

namespace unipay {

enum class ReportFormat { json, csv };

// Mismatches one reconciliation lists at most (then "truncated": true): healthy books have
// none, and a thousand already say where to look.
inline constexpr int kReconciliationMismatchLimit = 1000;

// CSV when the Accept header names text/csv (any case, parameters ignored); else JSON.
ReportFormat report_format(std::string_view accept_header);
std::string_view content_type(ReportFormat format);

// One CSV field per RFC 4180: quoted (inner quotes doubled) when it holds a comma, a quote,
// CR or LF; as is otherwise. Records end with CRLF.
std::string csv_field(std::string_view text);

// {"accounts_checked", "entries_checked", "mismatches": [{"account_id", "kind", "expected",
// "actual"[, "entry_id" for chain]}], "truncated"}, with "app_id" first when given.
std::string reconciliation_json(const storage::Reconciliation& r, std::string_view app_id = {});

// The statement of one UTC day in pieces: opening(), then pages of entries, between(),
// pages of bills, closing(). JSON: {"day", "from", "to", "entries": [...], "bills": [...]}.
// CSV: a header row, then one row per entry (record "entry") and per bill (record "bill").
class StatementText {
 public:
  StatementText(ReportFormat format, std::string day, Millis from, Millis to);
  std::string opening();
  std::string entries(const std::vector<storage::StatementEntry>& page);
  std::string between();
  std::string bills(const std::vector<storage::StatementBill>& page);
  std::string closing();

 private:
  std::string separator();  // "," before every JSON array item but the first
  ReportFormat format_;
  std::string day_;
  Millis from_;
  Millis to_;
  bool first_item_ = true;
};

// The CSV columns of a statement, in order.
const std::vector<std::string_view>& statement_csv_columns();

// Monthly settlement: per channel and currency (paid, delivered, refunded: count and
// amount) and per unit (credits, debits, captures, recharges, refunds: count and signed
// amount, and their net).
std::string settlement_text(ReportFormat format, std::string_view month, Millis from, Millis to,
                            const std::vector<storage::ChannelSettlement>& channels,
                            const std::vector<storage::UnitSettlement>& units);

// Per-channel figures of each UTC day from `from_day` to `to_day`, both included.
std::string channel_report_text(ReportFormat format, std::string_view from_day, std::string_view to_day,
                                const std::vector<storage::ChannelDay>& days);

}  // namespace unipay
