// SQL for the delivery_attempts table: one row per attempt to deliver a bill to its game
// server (who tried, when, what the game server answered or what went wrong, how long it took).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/bill.hpp"
#include "storage/database.hpp"

namespace unipay::storage {

struct DeliveryAttempt {
  int64_t attempt_id = 0;   // set by the database; orders a bill's attempts in time
  std::string attempt_key;  // unique per attempt, made by the node: retried inserts are no-ops
  std::string bill_id;
  std::string delivery_id;
  int attempt = 0;  // 1-based; restarts at 1 after an admin replay
  std::string node_id;
  Millis started_at{};
  std::optional<int> http_status;     // none: no HTTP answer (network error, timeout, not sent)
  std::string error;                  // "" when the game server answered 2xx
  std::optional<int64_t> latency_ms;  // none when no request was sent
};

// Records an attempt; a second insert with the same attempt_key changes nothing.
Statement insert_delivery_attempt(const DeliveryAttempt& attempt);
// The same INSERT ... ON CONFLICT (attempt_key) DO NOTHING with its nine parameters numbered
// from $first, for a statement that records the attempt along with its own work (the
// `delivered` transition, storage/bill_transition.cpp); add_delivery_attempt_params appends
// their values in that order.
std::string delivery_attempt_insert_sql(int first);
void add_delivery_attempt_params(Statement& statement, const DeliveryAttempt& attempt);

// The bill's attempts with attempt_id > after_attempt_id, oldest first, at most limit + 1
// (one extra tells whether there is a next page). Always one row when the bill exists
// (its attempt columns NULL when it has no attempt in range), none when it does not.
Statement select_delivery_attempts(const std::string& bill_id, int64_t after_attempt_id, int limit);

// The attempts of select_delivery_attempts' rows; none when the bill does not exist.
std::optional<std::vector<DeliveryAttempt>> parse_delivery_attempts(const Rows& rows);

}  // namespace unipay::storage
