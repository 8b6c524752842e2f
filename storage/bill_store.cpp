// SQL for bills. Every value travels as a $n parameter; only fixed fragments are joined.
#include "storage/bill_store.hpp"

#include <fmt/format.h>

#include <cassert>

#include "storage/job_store.hpp"
#include "storage/sql_support.hpp"

namespace unipay::storage {

namespace {

// The bill's columns in the order parse_bill reads them: the one list every bill select uses.
enum BillColumn : size_t {
  c_bill_id,
  c_app_id,
  c_user_id,
  c_item_id,
  c_channel,
  c_bill_type,
  c_amount_minor,
  c_currency,
  c_coins,
  c_passinfo,
  c_os,
  c_app_version,
  c_sdk_version,
  c_map_user_id,
  c_extra,
  c_state,
  c_version,
  c_provider_trade_no,
  c_client_token_hash,
  c_created_at,
  c_paid_at,
  c_delivered_at,
  c_expires_at,
  c_late_payment,
  kBillColumnCount
};

const std::string& bill_select_columns() {
  static const std::string columns =
      "bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, currency, coins, "
      "passinfo, os, app_version, sdk_version, map_user_id, extra::text, state, version, "
      "provider_trade_no, client_token_hash, " +
      sql::ms_column("created_at") + ", " + sql::ms_column("paid_at") + ", " +
      sql::ms_column("delivered_at") + ", " + sql::ms_column("expires_at") + ", late_payment";
  return columns;
}

// INSERT column list and the matching typed parameters $1..$24 (bill_params' order);
// awaiting_payment follows from the state ($16), as migration 007's CHECK requires.
// Casts are explicit because the values sit in a SELECT list, where no column type is
// inferred for a parameter.
const std::string& bill_insert_sql() {
  static const std::string sql =
      "INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, "
      "currency, coins, passinfo, os, app_version, sdk_version, map_user_id, extra, state, "
      "version, provider_trade_no, client_token_hash, created_at, paid_at, delivered_at, "
      "expires_at, late_payment, awaiting_payment) SELECT $1::text, $2::text, $3::text, $4::text, $5::text, "
      "$6::text, $7::bigint, $8::text, $9::bigint, $10::text, $11::text, $12::text, $13::text, "
      "$14::text, $15::jsonb, $16::text, $17::bigint, $18::text, $19::text, " +
      sql::ms_param(20) + ", " + sql::ms_param(21) + ", " + sql::ms_param(22) + ", " + sql::ms_param(23) +
      ", $24::boolean, ($16::text = 'created')";
  return sql;
}

std::vector<std::optional<std::string>> bill_params(const Bill& b) {
  return {b.bill_id,
          b.app_id,
          b.user_id,
          b.item_id,
          b.channel,
          std::string(to_string(b.bill_type)),
          std::to_string(b.amount_minor),
          b.currency,
          std::to_string(b.coins),
          b.passinfo,
          b.os,
          b.app_version,
          b.sdk_version,
          b.map_user_id,
          b.extra_json,
          std::string(to_string(b.state)),
          std::to_string(b.version),
          sql::null_if_empty(b.provider_trade_no),
          b.client_token_hash,
          sql::ms_text(b.created_at),
          sql::ms_text(b.paid_at),
          sql::ms_text(b.delivered_at),
          sql::ms_text(b.expires_at),
          sql::bool_text(b.late_payment)};
}

// The bill's verify job, inserted after the bill row of CTE `b` (nothing when that inserted
// nothing); `due` is its parameter.
std::string verify_job_cte(const std::string& due) {
  std::string cte = "verify AS (INSERT INTO jobs (kind, bill_id, attempt, next_attempt_at) ";
  cte += "SELECT 'verify', bill_id, 0, to_timestamp(";
  cte += due;
  cte += "::bigint / 1000.0) FROM b)";
  return cte;
}

// Lets an INSERT ... SELECT write only when CTE `gate` (if any) returned a row.
void append_gate(std::string& sql, const std::string& gate) {
  if (gate.empty()) return;
  sql += " WHERE EXISTS (SELECT 1 FROM ";
  sql += gate;
  sql += ")";
}

// The nonce CTE `n`: one row when the nonce is fresh for its app (see insert_nonce).
std::string nonce_cte(Statement& st, const NonceClaim& claim) {
  std::string app = sql::add_param(st, claim.app_id);
  std::string nonce = sql::add_param(st, claim.nonce);
  std::string window = sql::add_param(st, std::to_string(claim.window_s));
  std::string cte = "n AS (";
  cte += nonce_upsert_sql(app, nonce, window);
  cte += " RETURNING 1)";
  return cte;
}

// The idempotency CTE `idem`: one row when the key is new (or stale), and only when `gate`
// (a CTE name, or empty) has a row. A key older than keep_s is stale: the upsert overwrites
// it and counts as new, so a purge that has not run yet never blocks a new request with an
// expired key.
std::string idempotency_cte(Statement& st, const IdempotencyRecord& r, int keep_s, const std::string& gate) {
  const std::optional<SealedTokenPlace>& sealed = r.sealed_token;
  auto p = [&st](std::optional<std::string> v) { return sql::add_param(st, std::move(v)); };
  std::string cte =
      "idem AS (INSERT INTO idempotency_keys (app_id, idem_key, request_sha256, status, response_body, "
      "token_at, token_bill_id, token_key_id) SELECT ";
  cte += p(r.app_id) + "::text, " + p(r.key) + "::text, " + p(r.request_sha256) + "::text, ";
  cte += p(std::to_string(r.status)) + "::integer, " + p(r.response_body) + "::text, ";
  cte +=
      p(sealed ? std::optional<std::string>(std::to_string(sealed->token_at)) : std::nullopt) + "::integer, ";
  cte += p(sealed ? std::optional<std::string>(sealed->bill_id) : std::nullopt) + "::text, ";
  cte += p(sealed ? std::optional<std::string>(sealed->key_id) : std::nullopt) + "::text";
  append_gate(cte, gate);
  cte +=
      " ON CONFLICT (app_id, idem_key) DO UPDATE SET request_sha256 = EXCLUDED.request_sha256, "
      "status = EXCLUDED.status, response_body = EXCLUDED.response_body, token_at = EXCLUDED.token_at, "
      "token_bill_id = EXCLUDED.token_bill_id, token_key_id = EXCLUDED.token_key_id, created_at = now() "
      "WHERE idempotency_keys.created_at < now() - ";
  cte += p(std::to_string(keep_s));
  cte += "::integer * interval '1 second' RETURNING 1)";
  return cte;
}

}  // namespace

// One statement, gated in order nonce → idempotency key → bill → verify job: each CTE
// writes only when the one before it did, so a replayed nonce writes nothing at all and a
// known key writes no bill. All CTEs see one snapshot; the gates read RETURNING rows.
Statement insert_bill(const Bill& bill, const std::optional<IdempotencyRecord>& idempotency, int keep_s,
                      std::optional<Millis> verify_due, const std::optional<NonceClaim>& nonce) {
  Statement st{"", bill_params(bill)};
  if (!idempotency && !verify_due && !nonce) {
    st.sql = bill_insert_sql() + " RETURNING true";
    return st;
  }
  std::string gate;  // the CTE whose row lets the next one write
  st.sql = "WITH ";
  if (nonce) {
    st.sql += nonce_cte(st, *nonce) + ", ";
    gate = "n";
  }
  if (idempotency) {
    st.sql += idempotency_cte(st, *idempotency, keep_s, gate) + ", ";
    gate = "idem";
  }
  st.sql += "b AS (";
  st.sql += bill_insert_sql();
  append_gate(st.sql, gate);
  st.sql += " RETURNING bill_id)";
  if (verify_due) {
    st.sql += ", ";
    st.sql += verify_job_cte(sql::add_param(st, sql::ms_text(*verify_due)));
  }
  st.sql += " SELECT EXISTS (SELECT 1 FROM b)";
  if (nonce) st.sql += ", EXISTS (SELECT 1 FROM n)";
  return st;
}

CreateOutcome parse_create_outcome(const Rows& rows) {
  if (rows.empty()) return CreateOutcome::idempotency_key_exists;
  if (rows.text(0, 0) == "t") return CreateOutcome::created;
  if (rows.rows[0].size() > 1 && rows.text(0, 1) != "t") return CreateOutcome::nonce_used;
  return CreateOutcome::idempotency_key_exists;
}

Statement select_idempotency(const std::string& app_id, const std::string& key, int keep_s) {
  return {
      "SELECT request_sha256, status, response_body, app_id, idem_key, token_at, token_bill_id, "
      "token_key_id FROM idempotency_keys "
      "WHERE app_id = $1 AND idem_key = $2 "
      "AND created_at >= now() - $3::integer * interval '1 second'",
      {app_id, key, std::to_string(keep_s)}};
}

std::optional<IdempotencyRecord> parse_idempotency(const Rows& rows) {
  if (rows.empty() || rows.rows[0].size() < 8) return std::nullopt;
  auto status = sql::to_int64(rows, 0, 1);
  if (!status) return std::nullopt;
  IdempotencyRecord record{rows.text(0, 3), rows.text(0, 4), rows.text(0, 0),
                           int(*status),    rows.text(0, 2), {}};
  if (!rows.is_null(0, 5)) {
    auto token_at = sql::to_int64(rows, 0, 5);
    if (!token_at) return std::nullopt;
    record.sealed_token = SealedTokenPlace{*token_at, rows.text(0, 6), rows.text(0, 7)};
  }
  return record;
}

Statement select_bill(const std::string& bill_id) {
  return {"SELECT " + bill_select_columns() + " FROM bills WHERE bill_id = $1", {bill_id}};
}

Statement select_bill_id_by_trade(const std::string& app_id, const std::string& channel,
                                  const std::string& trade_no) {
  return {"SELECT bill_id FROM bills WHERE channel = $2 AND provider_trade_no = $3 AND app_id = $1",
          {app_id, channel, trade_no}};
}

std::optional<Bill> parse_bill(const Rows& rows, size_t row) {
  if (row >= rows.size() || rows.rows[row].size() < kBillColumnCount) return std::nullopt;
  auto type = parse_bill_type(rows.text(row, c_bill_type));
  auto state = parse_bill_state(rows.text(row, c_state));
  auto amount = sql::to_int64(rows, row, c_amount_minor);
  auto coins = sql::to_int64(rows, row, c_coins);
  auto version = sql::to_int64(rows, row, c_version);
  auto created = sql::to_millis(rows, row, c_created_at);
  auto expires = sql::to_millis(rows, row, c_expires_at);
  if (!type || !state || !amount || !coins || !version || !created || !expires) {
    return std::nullopt;
  }
  Bill b;
  b.bill_id = rows.text(row, c_bill_id);
  b.app_id = rows.text(row, c_app_id);
  b.user_id = rows.text(row, c_user_id);
  b.item_id = rows.text(row, c_item_id);
  b.channel = rows.text(row, c_channel);
  b.bill_type = *type;
  b.amount_minor = *amount;
  b.currency = rows.text(row, c_currency);
  b.coins = *coins;
  b.passinfo = rows.text(row, c_passinfo);
  b.os = rows.text(row, c_os);
  b.app_version = rows.text(row, c_app_version);
  b.sdk_version = rows.text(row, c_sdk_version);
  b.map_user_id = rows.text(row, c_map_user_id);
  b.extra_json = rows.text(row, c_extra);
  b.state = *state;
  b.version = *version;
  b.provider_trade_no = rows.text(row, c_provider_trade_no);
  b.client_token_hash = rows.text(row, c_client_token_hash);
  b.created_at = *created;
  b.paid_at = sql::to_millis(rows, row, c_paid_at);
  b.delivered_at = sql::to_millis(rows, row, c_delivered_at);
  b.expires_at = *expires;
  b.late_payment = sql::to_bool(rows, row, c_late_payment);
  return b;
}

Statement insert_callback_audit(const CallbackAudit& a) {
  return {
      "INSERT INTO callbacks (app_id, channel, bill_id, body_sha256, verdict, detail) "
      "VALUES ($1, $2, $3, $4, $5, $6)",
      {a.app_id, a.channel, a.bill_id, a.body_sha256, a.verdict, a.detail}};
}

Statement insert_callback_audits(const std::vector<CallbackAudit>& audits) {
  assert(!audits.empty() && audits.size() <= kMaxAuditsPerStatement);
  Statement out{"INSERT INTO callbacks (app_id, channel, bill_id, body_sha256, verdict, detail) VALUES ", {}};
  out.params.reserve(audits.size() * 6);
  for (const CallbackAudit& a : audits) {
    const size_t n = out.params.size();
    out.sql += fmt::format("{}(${}, ${}, ${}, ${}, ${}, ${})", n == 0 ? "" : ", ", n + 1, n + 2, n + 3, n + 4,
                           n + 5, n + 6);
    for (const std::string* field :
         {&a.app_id, &a.channel, &a.bill_id, &a.body_sha256, &a.verdict, &a.detail})
      out.params.emplace_back(*field);
  }
  return out;
}

Statement list_bills(const BillQuery& q) {
  Statement st;
  std::string where = "app_id = " + sql::add_param(st, q.app_id);
  if (q.user_id) where += " AND user_id = " + sql::add_param(st, *q.user_id);
  if (q.state) where += " AND state = " + sql::add_param(st, std::string(to_string(*q.state)));
  if (q.channel) where += " AND channel = " + sql::add_param(st, *q.channel);
  if (q.from) {
    sql::add_param(st, sql::ms_text(*q.from));
    where += " AND created_at >= " + sql::ms_param(int(st.params.size()));
  }
  if (q.to) {
    sql::add_param(st, sql::ms_text(*q.to));
    where += " AND created_at < " + sql::ms_param(int(st.params.size()));
  }
  // Plain text order, served by the (app_id, bill_id) indexes: bill ids are "b_" and a
  // fixed width of digits and capitals, which every collation orders as bytes do.
  if (q.after_bill_id) where += " AND bill_id < " + sql::add_param(st, *q.after_bill_id);
  int64_t limit = q.limit < 0 ? 0 : q.limit;
  std::string limit_param = sql::add_param(st, std::to_string(limit + 1));
  st.sql = "SELECT " + bill_select_columns() + " FROM bills WHERE " + where +
           " ORDER BY bill_id DESC LIMIT " + limit_param + "::bigint";
  return st;
}

Statement claim_expired_bills(const ExpiryCursor& after, int limit) {
  static const std::string sql = "SELECT bill_id, " + sql::ms_column("expires_at") +
                                 " FROM bills WHERE awaiting_payment AND expires_at < now() "
                                 "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'verify' "
                                 "AND j.bill_id = bills.bill_id AND j.dead_at IS NULL) "
                                 "AND (expires_at, bill_id) > (" +
                                 sql::ms_param(1) +
                                 ", $2::text) "
                                 "ORDER BY expires_at, bill_id LIMIT $3::integer FOR UPDATE SKIP LOCKED";
  return {sql, {sql::ms_text(after.expires_at), after.bill_id, std::to_string(limit)}};
}

ExpiryCursor next_expiry_cursor(const Rows& claimed, ExpiryCursor after) {
  if (claimed.empty()) return after;
  const size_t last = claimed.size() - 1;
  auto expires = sql::to_millis(claimed, last, 1);
  if (!expires) return after;
  return ExpiryCursor{*expires, claimed.text(last, 0)};
}

}  // namespace unipay::storage
