// SQL for wallets. Every value travels as a $n parameter; only fixed fragments are joined,
// so each statement has one text (prepared once per connection).
#include "storage/wallet_store.hpp"

#include "storage/sql_support.hpp"

namespace unipay::storage {

namespace {

constexpr size_t kAccountColumns = 9;
constexpr size_t kHoldColumns = 10;
constexpr size_t kEntryColumns = kEntryColumnCount;

// The column lists in the order the parsers read them, qualified by `alias`.
std::string account_columns(const std::string& alias) {
  const std::string p = alias + ".";
  return p + "app_id, " + p + "account_id, " + p + "unit, " + p + "balance_minor, " + p + "held_minor, " + p +
         "frozen, " + p + "version, " + sql::ms_column(p + "created_at") + ", " +
         sql::ms_column(p + "updated_at");
}

std::string hold_columns(const std::string& alias) {
  const std::string p = alias + ".";
  return p + "hold_id, " + p + "app_id, " + p + "account_id, " + p + "op_id, " + p + "amount_minor, " + p +
         "captured_minor, " + p + "state, " + sql::ms_column(p + "expires_at") + ", " +
         sql::ms_column(p + "created_at") + ", " + sql::ms_column(p + "updated_at");
}

std::optional<LedgerEntry> parse_entry(const Rows& rows, size_t row, size_t col) {
  if (row >= rows.size() || rows.rows[row].size() < col + kEntryColumns) return std::nullopt;
  auto id = sql::to_int64(rows, row, col);
  auto kind = parse_entry_kind(rows.text(row, col + 4));
  auto amount = sql::to_int64(rows, row, col + 5);
  auto before = sql::to_int64(rows, row, col + 6);
  auto after = sql::to_int64(rows, row, col + 7);
  auto created = sql::to_millis(rows, row, col + 11);
  if (!id || !kind || !amount || !before || !after || !created) return std::nullopt;
  LedgerEntry e;
  e.entry_id = *id;
  e.app_id = rows.text(row, col + 1);
  e.account_id = rows.text(row, col + 2);
  e.op_id = rows.text(row, col + 3);
  e.kind = *kind;
  e.amount_minor = *amount;
  e.balance_before_minor = *before;
  e.balance_after_minor = *after;
  e.hold_id = rows.text(row, col + 8);
  e.reason = rows.text(row, col + 9);
  e.info_json = rows.text(row, col + 10);
  e.created_at = *created;
  return e;
}

// The op record's own columns, then the account as the op left it, the entry, the hold.
const std::string& op_record_select() {
  static const std::string sql =
      "SELECT w.op_id, w.kind, w.fingerprint, w.error_code, w.error_message, w.hold_state, "
      "a.app_id, a.account_id, a.unit, w.balance_minor, w.held_minor, w.frozen, w.version, " +
      sql::ms_column("a.created_at") + ", " + sql::ms_column("w.created_at") + ", " + entry_columns("e") +
      ", " + hold_columns("h") +
      " FROM wallet_ops w JOIN accounts a ON a.app_id = w.app_id AND a.account_id = w.account_id "
      "LEFT JOIN ledger_entries e ON e.entry_id = w.entry_id LEFT JOIN holds h ON h.hold_id = w.hold_id ";
  return sql;
}

constexpr size_t kOpOwnColumns = 6;

std::optional<OpRecord> parse_op_record(const Rows& rows, size_t row) {
  const size_t account_col = kOpOwnColumns;
  const size_t entry_col = account_col + kAccountColumns;
  const size_t hold_col = entry_col + kEntryColumns;
  if (rows.rows[row].size() < hold_col + kHoldColumns) return std::nullopt;
  auto account = parse_account(rows, row, account_col);
  if (!account) return std::nullopt;
  OpRecord r;
  r.op_id = rows.text(row, 0);
  r.kind = rows.text(row, 1);
  r.fingerprint = rows.text(row, 2);
  if (!rows.text(row, 3).empty()) {
    r.result.error = parse_ledger_error(rows.text(row, 3));
    if (!r.result.error) return std::nullopt;
    r.result.error_message = rows.text(row, 4);
  }
  r.result.account = *account;
  if (!rows.is_null(row, entry_col)) {
    r.result.entry = parse_entry(rows, row, entry_col);
    if (!r.result.entry) return std::nullopt;
  }
  if (!rows.is_null(row, hold_col)) {
    r.result.hold = parse_hold(rows, row, hold_col);
    auto state = parse_hold_state(rows.text(row, 5));
    if (!r.result.hold || !state) return std::nullopt;
    // The hold as this operation left it: a later capture or void does not show here.
    r.result.hold->state = *state;
    if (*state != HoldState::captured) r.result.hold->captured_minor = 0;
    // Every operation that names a hold changed it (made, captured, voided, expired it).
    r.result.hold->updated_at = account->updated_at;
  }
  return r;
}

}  // namespace

std::string entry_columns(const std::string& alias) {
  const std::string p = alias + ".";
  return p + "entry_id, " + p + "app_id, " + p + "account_id, " + p + "op_id, " + p + "kind, " + p +
         "amount_minor, " + p + "balance_before_minor, " + p + "balance_after_minor, " + p + "hold_id, " + p +
         "reason, " + p + "info, " + sql::ms_column(p + "created_at");
}

Statement insert_account(const Account& a) {
  static const std::string sql =
      "WITH ins AS (INSERT INTO accounts (app_id, account_id, unit, balance_minor, held_minor, frozen, "
      "version, created_at, updated_at) VALUES ($1::text, $2::text, $3::text, 0, 0, false, 1, " +
      sql::ms_param(4) + ", " + sql::ms_param(4) +
      ") ON CONFLICT (app_id, account_id) DO NOTHING RETURNING *) "
      "SELECT true, " +
      account_columns("ins") + " FROM ins UNION ALL SELECT false, " + account_columns("a") +
      " FROM accounts a WHERE a.app_id = $1::text AND a.account_id = $2::text "
      "AND NOT EXISTS (SELECT 1 FROM ins)";
  return {sql, {a.app_id, a.account_id, a.unit, sql::ms_text(a.created_at)}};
}

Statement select_account(const std::string& app_id, const std::string& account_id) {
  static const std::string sql = "SELECT " + account_columns("a") + ", " + hold_columns("h") +
                                 " FROM accounts a LEFT JOIN holds h ON h.app_id = a.app_id "
                                 "AND h.account_id = a.account_id AND h.state = 'active' "
                                 "WHERE a.app_id = $1::text AND a.account_id = $2::text ORDER BY h.hold_id";
  return {sql, {app_id, account_id}};
}

std::optional<Account> parse_account(const Rows& rows, size_t row, size_t col) {
  if (row >= rows.size() || rows.rows[row].size() < col + kAccountColumns) return std::nullopt;
  auto balance = sql::to_int64(rows, row, col + 3);
  auto held = sql::to_int64(rows, row, col + 4);
  auto version = sql::to_int64(rows, row, col + 6);
  auto created = sql::to_millis(rows, row, col + 7);
  auto updated = sql::to_millis(rows, row, col + 8);
  if (!balance || !held || !version || !created || !updated) return std::nullopt;
  Account a;
  a.app_id = rows.text(row, col);
  a.account_id = rows.text(row, col + 1);
  a.unit = rows.text(row, col + 2);
  a.balance_minor = *balance;
  a.held_minor = *held;
  a.frozen = sql::to_bool(rows, row, col + 5);
  a.version = *version;
  a.created_at = *created;
  a.updated_at = *updated;
  return a;
}

std::optional<AccountWithHolds> parse_account_with_holds(const Rows& rows) {
  auto account = parse_account(rows, 0, 0);
  if (!account) return std::nullopt;
  AccountWithHolds out{*account, {}};
  for (size_t row = 0; row < rows.size(); ++row) {
    if (rows.is_null(row, kAccountColumns)) continue;  // no active hold
    auto hold = parse_hold(rows, row, kAccountColumns);
    if (!hold) return std::nullopt;
    out.active_holds.push_back(std::move(*hold));
  }
  return out;
}

Statement select_hold(const std::string& app_id, const std::string& hold_id) {
  static const std::string sql =
      "SELECT " + hold_columns("h") + " FROM holds h WHERE h.app_id = $1::text AND h.hold_id = $2::text";
  return {sql, {app_id, hold_id}};
}

Statement select_holds(const std::string& app_id, const std::vector<std::string>& hold_ids) {
  static const std::string sql = "SELECT " + hold_columns("h") +
                                 " FROM holds h WHERE h.app_id = $1::text AND h.hold_id = ANY ($2::text[])";
  return {sql, {app_id, sql::text_array(hold_ids)}};
}

std::vector<Hold> parse_holds(const Rows& rows) {
  std::vector<Hold> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    if (auto hold = parse_hold(rows, row)) out.push_back(std::move(*hold));
  }
  return out;
}

std::optional<Hold> parse_hold(const Rows& rows, size_t row, size_t col) {
  if (row >= rows.size() || rows.rows[row].size() < col + kHoldColumns) return std::nullopt;
  auto amount = sql::to_int64(rows, row, col + 4);
  auto captured = sql::to_int64(rows, row, col + 5);
  auto state = parse_hold_state(rows.text(row, col + 6));
  auto expires = sql::to_millis(rows, row, col + 7);
  auto created = sql::to_millis(rows, row, col + 8);
  auto updated = sql::to_millis(rows, row, col + 9);
  if (!amount || !captured || !state || !expires || !created || !updated) return std::nullopt;
  Hold h;
  h.hold_id = rows.text(row, col);
  h.app_id = rows.text(row, col + 1);
  h.account_id = rows.text(row, col + 2);
  h.op_id = rows.text(row, col + 3);
  h.amount_minor = *amount;
  h.captured_minor = *captured;
  h.state = *state;
  h.expires_at = *expires;
  h.created_at = *created;
  h.updated_at = *updated;
  return h;
}

// Data-modifying CTEs always run, so each one filters on `upd` (empty when the
// compare-and-set lost or the op_id was recorded before) and on its own flag. `prior` reads
// the snapshot; an op_id recorded concurrently by another account's commit makes the
// record insert raise a unique violation instead (the writer then retries this op alone,
// and `prior` sees it).
Statement commit_statement(const LedgerCommit& c) {
  static const std::string sql =
      "WITH prior AS (SELECT 1 FROM wallet_ops WHERE app_id = $1::text AND op_id = $10::text "
      "AND $27::boolean), "
      "upd AS (UPDATE accounts SET balance_minor = $5::bigint, held_minor = $6::bigint, "
      "frozen = $7::boolean, version = $4::bigint, updated_at = " +
      sql::ms_param(8) +
      " WHERE app_id = $1::text AND account_id = $2::text AND version = $3::bigint "
      "AND NOT EXISTS (SELECT 1 FROM prior) RETURNING app_id, account_id), "
      "ent AS (INSERT INTO ledger_entries (app_id, account_id, op_id, kind, amount_minor, "
      "balance_before_minor, balance_after_minor, hold_id, reason, info, created_at) "
      "SELECT app_id, account_id, $10::text, $11::text, $12::bigint, $13::bigint, $14::bigint, "
      "$15::text, $16::text, $17::text, " +
      sql::ms_param(8) +
      " FROM upd WHERE $9::boolean RETURNING entry_id), "
      "hin AS (INSERT INTO holds (hold_id, app_id, account_id, op_id, amount_minor, captured_minor, "
      "state, expires_at, created_at, updated_at) SELECT $20::text, app_id, account_id, $21::text, "
      "$22::bigint, $23::bigint, $24::text, " +
      sql::ms_param(25) + ", " + sql::ms_param(26) + ", " + sql::ms_param(8) +
      " FROM upd WHERE $18::boolean), "
      "hup AS (UPDATE holds SET state = $24::text, captured_minor = $23::bigint, updated_at = " +
      sql::ms_param(8) +
      " WHERE hold_id = $20::text AND app_id = $1::text AND account_id = $2::text AND $19::boolean "
      "AND EXISTS (SELECT 1 FROM upd)), "
      "rec AS (INSERT INTO wallet_ops (app_id, op_id, account_id, kind, fingerprint, error_code, "
      "error_message, entry_id, hold_id, hold_state, balance_minor, held_minor, frozen, version, "
      "created_at) SELECT app_id, $10::text, account_id, $28::text, $29::text, $30::text, $31::text, "
      "(SELECT entry_id FROM ent), $20::text, $32::text, $5::bigint, $6::bigint, $7::boolean, "
      "$4::bigint, " +
      sql::ms_param(8) +
      " FROM upd WHERE $27::boolean) "
      "SELECT EXISTS (SELECT 1 FROM upd), EXISTS (SELECT 1 FROM prior), (SELECT entry_id FROM ent)";
  const Account& a = c.result.account;
  const LedgerEntry none_entry{};
  const LedgerEntry& e = c.result.entry ? *c.result.entry : none_entry;
  const Hold none_hold{};
  const Hold& h = c.result.hold ? *c.result.hold : none_hold;
  const std::string op_id = c.record ? c.record->op_id : e.op_id;
  std::optional<std::string> hold_id, hold_state;
  if (c.result.hold) {
    hold_id = h.hold_id;
    hold_state = std::string(to_string(h.state));
  }
  Statement st{sql,
               {a.app_id,
                a.account_id,
                std::to_string(c.expected_version),
                std::to_string(a.version),
                std::to_string(a.balance_minor),
                std::to_string(a.held_minor),
                sql::bool_text(a.frozen),
                sql::ms_text(a.updated_at),
                sql::bool_text(c.result.entry.has_value()),
                op_id,
                std::string(to_string(e.kind)),
                std::to_string(e.amount_minor),
                std::to_string(e.balance_before_minor),
                std::to_string(e.balance_after_minor),
                sql::null_if_empty(e.hold_id),
                e.reason,
                sql::null_if_empty(e.info_json),
                sql::bool_text(c.result.hold && c.hold_created),
                sql::bool_text(c.result.hold && !c.hold_created),
                hold_id,
                h.op_id,
                std::to_string(h.amount_minor),
                std::to_string(h.captured_minor),
                std::string(to_string(h.state)),
                sql::ms_text(h.expires_at),
                sql::ms_text(h.created_at)}};
  const bool record = c.record.has_value();
  st.params.emplace_back(sql::bool_text(record));
  st.params.emplace_back(record ? c.record->kind : "");
  st.params.emplace_back(record ? c.record->fingerprint : "");
  st.params.emplace_back(c.result.error ? std::string(ledger_error_name(*c.result.error)) : "");
  st.params.emplace_back(c.result.error ? c.result.error_message : "");
  st.params.push_back(hold_state);
  return st;
}

std::optional<CommitOutcome> parse_commit(const Rows& rows) {
  if (rows.empty() || rows.rows[0].size() < 3) return std::nullopt;
  CommitOutcome out;
  out.applied = sql::to_bool(rows, 0, 0);
  out.op_recorded_before = sql::to_bool(rows, 0, 1);
  if (!rows.is_null(0, 2)) {
    auto id = sql::to_int64(rows, 0, 2);
    if (!id) return std::nullopt;
    out.entry_id = *id;
  }
  return out;
}

Statement select_op_record(const std::string& app_id, const std::string& op_id) {
  static const std::string sql = op_record_select() + "WHERE w.app_id = $1::text AND w.op_id = $2::text";
  return {sql, {app_id, op_id}};
}

Statement select_op_records(const std::string& app_id, const std::vector<std::string>& op_ids) {
  static const std::string sql =
      op_record_select() + "WHERE w.app_id = $1::text AND w.op_id = ANY ($2::text[])";
  return {sql, {app_id, sql::text_array(op_ids)}};
}

std::vector<OpRecord> parse_op_records(const Rows& rows) {
  std::vector<OpRecord> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    if (auto record = parse_op_record(rows, row)) out.push_back(std::move(*record));
  }
  return out;
}

Statement list_entries(const LedgerQuery& q) {
  Statement st;
  std::string where = "e.app_id = " + sql::add_param(st, q.app_id) +
                      " AND e.account_id = " + sql::add_param(st, q.account_id);
  if (q.from) {
    sql::add_param(st, sql::ms_text(*q.from));
    where += " AND e.created_at >= " + sql::ms_param(int(st.params.size()));
  }
  if (q.to) {
    sql::add_param(st, sql::ms_text(*q.to));
    where += " AND e.created_at < " + sql::ms_param(int(st.params.size()));
  }
  if (q.after_entry_id)
    where += " AND e.entry_id > " + sql::add_param(st, std::to_string(*q.after_entry_id)) + "::bigint";
  const int64_t limit = q.limit < 0 ? 0 : q.limit;
  const std::string limit_param = sql::add_param(st, std::to_string(limit + 1));
  st.sql = "SELECT " + entry_columns("e") + " FROM ledger_entries e WHERE " + where +
           " ORDER BY e.entry_id LIMIT " + limit_param + "::bigint";
  return st;
}

std::vector<LedgerEntry> parse_entries(const Rows& rows, size_t col) {
  std::vector<LedgerEntry> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    if (auto entry = parse_entry(rows, row, col)) out.push_back(std::move(*entry));
  }
  return out;
}

Statement select_due_holds(int limit) {
  static const std::string sql = "SELECT app_id, account_id, hold_id, " + sql::ms_column("expires_at") +
                                 " FROM holds WHERE state = 'active' AND expires_at <= now() "
                                 "ORDER BY expires_at LIMIT $1::integer FOR UPDATE SKIP LOCKED";
  return {sql, {std::to_string(limit)}};
}

std::vector<DueHold> parse_due_holds(const Rows& rows) {
  std::vector<DueHold> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    auto expires = sql::to_millis(rows, row, 3);
    if (!expires) continue;
    out.push_back(DueHold{rows.text(row, 0), rows.text(row, 1), rows.text(row, 2), *expires});
  }
  return out;
}

}  // namespace unipay::storage
