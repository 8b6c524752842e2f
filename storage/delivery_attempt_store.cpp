// SQL for delivery_attempts. Every value travels as a $n parameter.
#include "storage/delivery_attempt_store.hpp"

#include <fmt/format.h>

#include "storage/sql_support.hpp"

namespace unipay::storage {

namespace {

// The columns in the order parse_delivery_attempts reads them, after the bill's id.
enum AttemptColumn : size_t {
  c_bill_id,
  c_attempt_id,
  c_attempt_key,
  c_delivery_id,
  c_attempt,
  c_node_id,
  c_started_at,
  c_http_status,
  c_error,
  c_latency_ms,
  kAttemptColumnCount
};

// The parameter text of an optional number; NULL for none.
template <class Number>
std::optional<std::string> number_or_null(const std::optional<Number>& value) {
  if (!value) return std::nullopt;
  return std::to_string(*value);
}

}  // namespace

std::string delivery_attempt_insert_sql(int first) {
  return fmt::format(
      "INSERT INTO delivery_attempts (attempt_key, bill_id, delivery_id, attempt, node_id, "
      "started_at, http_status, error, latency_ms) VALUES (${}::text, ${}::text, ${}::text, "
      "${}::integer, ${}::text, {}, ${}::integer, ${}::text, ${}::bigint) "
      "ON CONFLICT (attempt_key) DO NOTHING",
      first, first + 1, first + 2, first + 3, first + 4, sql::ms_param(first + 5), first + 6, first + 7,
      first + 8);
}

void add_delivery_attempt_params(Statement& st, const DeliveryAttempt& a) {
  for (auto& value : std::initializer_list<std::optional<std::string>>{
           a.attempt_key, a.bill_id, a.delivery_id, std::to_string(a.attempt), a.node_id,
           sql::ms_text(a.started_at), number_or_null(a.http_status), a.error, number_or_null(a.latency_ms)})
    st.params.push_back(value);
}

Statement insert_delivery_attempt(const DeliveryAttempt& a) {
  static const std::string sql = delivery_attempt_insert_sql(1);
  Statement st{sql, {}};
  add_delivery_attempt_params(st, a);
  return st;
}

// The LEFT JOIN LATERAL keeps one row for an existing bill with no attempt in range, so
// "no such bill" and "no attempts yet" differ in one read.
Statement select_delivery_attempts(const std::string& bill_id, int64_t after_attempt_id, int limit) {
  static const std::string sql =
      "SELECT b.bill_id, a.attempt_id, a.attempt_key, a.delivery_id, a.attempt, a.node_id, " +
      sql::ms_column("a.started_at") +
      ", a.http_status, a.error, a.latency_ms FROM bills b "
      "LEFT JOIN LATERAL (SELECT * FROM delivery_attempts d WHERE d.bill_id = b.bill_id "
      "AND d.attempt_id > $2::bigint ORDER BY d.attempt_id LIMIT $3::bigint) a ON true "
      "WHERE b.bill_id = $1::text ORDER BY a.attempt_id";
  return {sql, {bill_id, std::to_string(after_attempt_id), std::to_string(int64_t{limit} + 1)}};
}

std::optional<std::vector<DeliveryAttempt>> parse_delivery_attempts(const Rows& rows) {
  if (rows.empty()) return std::nullopt;
  std::vector<DeliveryAttempt> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    if (rows.rows[row].size() < kAttemptColumnCount) continue;
    auto id = sql::to_int64(rows, row, c_attempt_id);
    auto attempt = sql::to_int64(rows, row, c_attempt);
    auto started = sql::to_millis(rows, row, c_started_at);
    if (!id || !attempt || !started) continue;  // the bill's row without attempts
    DeliveryAttempt a;
    a.attempt_id = *id;
    a.attempt_key = rows.text(row, c_attempt_key);
    a.bill_id = rows.text(row, c_bill_id);
    a.delivery_id = rows.text(row, c_delivery_id);
    a.attempt = static_cast<int>(*attempt);
    a.node_id = rows.text(row, c_node_id);
    a.started_at = *started;
    if (auto status = sql::to_int64(rows, row, c_http_status)) a.http_status = static_cast<int>(*status);
    a.error = rows.text(row, c_error);
    a.latency_ms = sql::to_int64(rows, row, c_latency_ms);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace unipay::storage
