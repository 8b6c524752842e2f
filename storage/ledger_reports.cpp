// SQL for reconciliation, statements and settlement. Sums over bigint are numeric in
// PostgreSQL: reconciliation compares and reports them exactly (as text); report totals
// are cast back to bigint, so an impossible overflow is an error, never a wrapped number.
#include "storage/ledger_reports.hpp"

#include "storage/sql_support.hpp"
#include "storage/wallet_store.hpp"

namespace unipay::storage {

namespace {

// [from, to) on a timestamptz column from parameters $f and $t (ms since the epoch).
std::string in_range(const std::string& column, int f, int t) {
  return column + " >= " + sql::ms_param(f) + " AND " + column + " < " + sql::ms_param(t);
}

// The channel figures of the app's bills in [$2, $3): paid by paid_at, delivered by
// delivered_at, refunded (of those paid) by paid_at; grouped per channel and currency, and
// per UTC day of the event when `per_day`.
std::string channel_figures_sql(bool per_day) {
  const std::string paid_day = per_day ? "to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" : "''";
  const std::string delivered_day = per_day ? "to_char(delivered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" : "''";
  return "WITH b AS (SELECT channel, currency, amount_minor, state, paid_at, delivered_at FROM bills "
         "WHERE app_id = $1::text AND ((" +
         in_range("paid_at", 2, 3) + ") OR (" + in_range("delivered_at", 2, 3) +
         "))), "
         "ev AS (SELECT " +
         paid_day +
         " AS day, channel, currency, 1 AS paid, amount_minor AS paid_minor, 0 AS delivered, "
         "0::bigint AS delivered_minor, (state = 'refunded')::int AS refunded, "
         "CASE WHEN state = 'refunded' THEN amount_minor ELSE 0 END AS refunded_minor FROM b WHERE " +
         in_range("paid_at", 2, 3) + " UNION ALL SELECT " + delivered_day +
         ", channel, currency, 0, 0, 1, amount_minor, 0, 0 FROM b WHERE " + in_range("delivered_at", 2, 3) +
         ") "
         "SELECT day, channel, currency, sum(paid)::bigint, sum(paid_minor)::bigint, sum(delivered)::bigint, "
         "sum(delivered_minor)::bigint, sum(refunded)::bigint, sum(refunded_minor)::bigint "
         "FROM ev GROUP BY day, channel, currency ORDER BY day, channel, currency";
}

std::optional<ChannelSettlement> parse_channel_figures(const Rows& rows, size_t row) {
  if (rows.rows[row].size() < 9) return std::nullopt;
  ChannelSettlement s;
  s.channel = rows.text(row, 1);
  s.currency = rows.text(row, 2);
  int64_t* fields[] = {&s.paid_count,      &s.paid_minor,     &s.delivered_count,
                       &s.delivered_minor, &s.refunded_count, &s.refunded_minor};
  for (size_t i = 0; i < 6; ++i) {
    auto value = sql::to_int64(rows, row, 3 + i);
    if (!value) return std::nullopt;
    *fields[i] = *value;
  }
  return s;
}

}  // namespace

// Counts and mismatches come from one statement, so they describe one snapshot. The counts
// row sorts first (part 0); mismatches follow in a stable order.
Statement reconcile_ledger(const std::string& app_id_or_empty, int limit) {
  static const std::string sql =
      "WITH acc AS (SELECT app_id, account_id, balance_minor, held_minor FROM accounts "
      "WHERE $1::text = '' OR app_id = $1::text), "
      "ent AS (SELECT app_id, account_id, entry_id, amount_minor, balance_before_minor, "
      "lag(balance_after_minor, 1, 0::bigint) OVER (PARTITION BY app_id, account_id ORDER BY entry_id) "
      "AS prev_after FROM ledger_entries WHERE $1::text = '' OR app_id = $1::text), "
      "sums AS (SELECT app_id, account_id, sum(amount_minor) AS total FROM ent GROUP BY app_id, account_id), "
      "held AS (SELECT app_id, account_id, sum(amount_minor) AS total FROM holds "
      "WHERE state = 'active' AND ($1::text = '' OR app_id = $1::text) GROUP BY app_id, account_id), "
      "bad AS (SELECT acc.app_id, acc.account_id, 'balance' AS kind, coalesce(s.total, 0)::text AS expected, "
      "acc.balance_minor::text AS actual, 0::bigint AS entry_id FROM acc LEFT JOIN sums s "
      "USING (app_id, account_id) WHERE coalesce(s.total, 0) <> acc.balance_minor "
      "UNION ALL SELECT acc.app_id, acc.account_id, 'held', coalesce(h.total, 0)::text, "
      "acc.held_minor::text, 0 FROM acc LEFT JOIN held h USING (app_id, account_id) "
      "WHERE coalesce(h.total, 0) <> acc.held_minor "
      "UNION ALL SELECT app_id, account_id, 'chain', prev_after::text, balance_before_minor::text, entry_id "
      "FROM ent WHERE balance_before_minor <> prev_after) "
      "SELECT * FROM (SELECT 0 AS part, '' AS app_id, '' AS account_id, 'checked' AS kind, "
      "(SELECT count(*) FROM acc)::text AS expected, (SELECT count(*) FROM ent)::text AS actual, "
      "0::bigint AS entry_id "
      "UNION ALL (SELECT 1, * FROM bad ORDER BY app_id, account_id, kind, entry_id "
      "LIMIT $2::integer + 1)) r ORDER BY part, app_id, account_id, kind, entry_id";
  return {sql, {app_id_or_empty, std::to_string(limit)}};
}

std::optional<Reconciliation> parse_reconciliation(const Rows& rows, int limit) {
  if (rows.empty() || rows.rows[0].size() < 7 || rows.text(0, 3) != "checked") return std::nullopt;
  Reconciliation r;
  auto accounts = sql::to_int64(rows, 0, 4);
  auto entries = sql::to_int64(rows, 0, 5);
  if (!accounts || !entries) return std::nullopt;
  r.accounts_checked = *accounts;
  r.entries_checked = *entries;
  for (size_t row = 1; row < rows.size(); ++row) {
    if (int(r.mismatches.size()) >= limit) {
      r.truncated = true;
      break;
    }
    r.mismatches.push_back(LedgerMismatch{rows.text(row, 1), rows.text(row, 2), rows.text(row, 3),
                                          rows.text(row, 4), rows.text(row, 5),
                                          sql::to_int64(rows, row, 6).value_or(0)});
  }
  return r;
}

Statement reconciliation_app_ids() { return {"SELECT app_id FROM apps ORDER BY app_id", {}}; }

Statement statement_entries(const std::string& app_id, Millis from, Millis to,
                            const std::optional<EntryCursor>& after, int limit) {
  static const std::string sql =
      "SELECT " + entry_columns("e") +
      ", a.unit FROM ledger_entries e JOIN accounts a ON a.app_id = e.app_id AND a.account_id = e.account_id "
      "WHERE e.app_id = $1::text AND " +
      in_range("e.created_at", 2, 3) + " AND (e.created_at, e.entry_id) > (" + sql::ms_param(4) +
      ", $5::bigint) ORDER BY e.created_at, e.entry_id LIMIT $6::integer + 1";
  const EntryCursor start = after.value_or(EntryCursor{from - std::chrono::milliseconds{1}, 0});
  return {sql,
          {app_id, sql::ms_text(from), sql::ms_text(to), sql::ms_text(start.first),
           std::to_string(start.second), std::to_string(limit)}};
}

std::vector<StatementEntry> parse_statement_entries(const Rows& rows) {
  std::vector<StatementEntry> out;
  const auto entries = parse_entries(rows);
  if (entries.size() != rows.size()) return out;  // a row that does not parse: none trusted
  for (size_t row = 0; row < rows.size(); ++row) {
    out.push_back(StatementEntry{entries[row], rows.text(row, kEntryColumnCount)});
  }
  return out;
}

Statement statement_bills(const std::string& app_id, Millis from, Millis to,
                          const std::optional<BillCursor>& after, int limit) {
  static const std::string sql =
      "SELECT bill_id, user_id, item_id, channel, bill_type, amount_minor, currency, coins, state, "
      "coalesce(provider_trade_no, ''), " +
      sql::ms_column("paid_at") + ", " + sql::ms_column("delivered_at") +
      ", late_payment FROM bills WHERE app_id = $1::text AND paid_at IS NOT NULL AND " +
      in_range("paid_at", 2, 3) + " AND (paid_at, bill_id) > (" + sql::ms_param(4) +
      ", $5::text) ORDER BY paid_at, bill_id LIMIT $6::integer + 1";
  const BillCursor start = after.value_or(BillCursor{from - std::chrono::milliseconds{1}, ""});
  return {sql,
          {app_id, sql::ms_text(from), sql::ms_text(to), sql::ms_text(start.first), start.second,
           std::to_string(limit)}};
}

std::vector<StatementBill> parse_statement_bills(const Rows& rows) {
  std::vector<StatementBill> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    if (rows.rows[row].size() < 13) return {};
    auto amount = sql::to_int64(rows, row, 5);
    auto coins = sql::to_int64(rows, row, 7);
    auto paid = sql::to_millis(rows, row, 10);
    if (!amount || !coins || !paid) return {};
    out.push_back(StatementBill{rows.text(row, 0), rows.text(row, 1), rows.text(row, 2), rows.text(row, 3),
                                rows.text(row, 4), *amount, rows.text(row, 6), *coins, rows.text(row, 8),
                                rows.text(row, 9), *paid, sql::to_millis(rows, row, 11),
                                sql::to_bool(rows, row, 12)});
  }
  return out;
}

Statement settlement_by_channel(const std::string& app_id, Millis from, Millis to) {
  static const std::string sql = channel_figures_sql(false);
  return {sql, {app_id, sql::ms_text(from), sql::ms_text(to)}};
}

std::vector<ChannelSettlement> parse_settlement_by_channel(const Rows& rows) {
  std::vector<ChannelSettlement> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    auto figures = parse_channel_figures(rows, row);
    if (!figures) return {};
    out.push_back(std::move(*figures));
  }
  return out;
}

Statement settlement_by_unit(const std::string& app_id, Millis from, Millis to) {
  static const std::string sql =
      "SELECT a.unit, e.kind, count(*), sum(e.amount_minor)::bigint FROM ledger_entries e "
      "JOIN accounts a ON a.app_id = e.app_id AND a.account_id = e.account_id WHERE e.app_id = $1::text "
      "AND " +
      in_range("e.created_at", 2, 3) + " GROUP BY a.unit, e.kind ORDER BY a.unit, e.kind";
  return {sql, {app_id, sql::ms_text(from), sql::ms_text(to)}};
}

std::vector<UnitSettlement> parse_settlement_by_unit(const Rows& rows) {
  std::vector<UnitSettlement> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    auto kind = parse_entry_kind(rows.text(row, 1));
    auto count = sql::to_int64(rows, row, 2);
    auto sum = sql::to_int64(rows, row, 3);
    if (!kind || !count || !sum) return {};
    out.push_back(UnitSettlement{rows.text(row, 0), *kind, *count, *sum});
  }
  return out;
}

Statement channel_report_daily(const std::string& app_id, Millis from, Millis to) {
  static const std::string sql = channel_figures_sql(true);
  return {sql, {app_id, sql::ms_text(from), sql::ms_text(to)}};
}

std::vector<ChannelDay> parse_channel_report(const Rows& rows) {
  std::vector<ChannelDay> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    auto figures = parse_channel_figures(rows, row);
    if (!figures) return {};
    out.push_back(ChannelDay{rows.text(row, 0), std::move(*figures)});
  }
  return out;
}

}  // namespace unipay::storage
