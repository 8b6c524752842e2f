#include "bench/prefill.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "bench/pg_session.hpp"

namespace unipay::bench {

namespace {

constexpr int64_t kChunkRows = 100000;  // rows of each kind per transaction
constexpr int64_t kDeadJobEvery = 100;  // one bill in 100 is left paid with a given-up job

// The keys of row i, as the server makes them: bill ids "b_" + 26 Crockford characters in
// creation order (an increasing part, then random ones; these start "000", before any id the
// server makes now, as older bills' ids do), so they fill the indexes' right edge as the
// server's do; nonces like the bench's own (a fixed random prefix and a counter); trade
// numbers unique per channel. $1 the app, $2 the salt, $3..$4 the chunk.
const std::string kBillId =
    "'b_000' || upper(lpad(to_hex(i), 10, '0') || substr(md5($2::text || 'b' || i), 1, 13))";
const std::string kRows =
    "WITH s AS (SELECT i, $1::text AS app_id, " + kBillId +
    " AS bill_id, "
    "date_trunc('milliseconds', now() - interval '1 day') + i * interval '1 millisecond' AS t, i % " +
    std::to_string(kDeadJobEvery) + " = 0 AS dead FROM generate_series($3::bigint, $4::bigint) i) ";

// Bills as a finished lifecycle leaves them: version 3 (created, paid, delivered).
const std::string kBills =
    kRows +
    "INSERT INTO bills (bill_id, app_id, user_id, item_id, channel, bill_type, amount_minor, currency, "
    "coins, "
    "state, version, provider_trade_no, client_token_hash, created_at, paid_at, delivered_at, expires_at) "
    "SELECT bill_id, app_id, 'player' || (i % 100000), 'gem_pack', 'sandbox', 'purchase', 499, 'USD', 0, "
    "CASE WHEN dead THEN 'paid' ELSE 'delivered' END, CASE WHEN dead THEN 2 ELSE 3 END, "
    "'tb_' || substr(bill_id, 3), encode(sha256(($2::text || 'c' || i)::bytea), 'hex'), t, "
    "t + interval '60 ms', CASE WHEN dead THEN NULL ELSE t + interval '70 ms' END, t + interval '30 minutes' "
    "FROM s";

// The accepted callback's audit row (bill.paid), as the paid transition writes it.
const std::string kAudits =
    kRows +
    "INSERT INTO callbacks (received_at, app_id, channel, bill_id, body_sha256, verdict, detail) "
    "SELECT t + interval '60 ms', app_id, 'sandbox', bill_id, "
    "encode(sha256(($2::text || 'r' || i)::bytea), 'hex'), 'accepted', '' FROM s";

// The delivery attempt on record: answered 200 (or, for a given-up job, refused).
const std::string kAttempts =
    kRows +
    "INSERT INTO delivery_attempts (attempt_key, bill_id, delivery_id, attempt, node_id, started_at, "
    "http_status, error, latency_ms) SELECT substr(md5($2::text || 'a' || i), 1, 22), bill_id, "
    "'d_' || substr(bill_id, 3), 1, 'prefill', t + interval '62 ms', CASE WHEN dead THEN 500 ELSE 200 END, "
    "CASE WHEN dead THEN 'HTTP 500' ELSE '' END, 3 FROM s";

// A given-up delivery job (dead_at set: the poller never claims it again).
const std::string kDeadJobs =
    kRows +
    "INSERT INTO jobs (kind, bill_id, attempt, next_attempt_at, last_error, created_at, dead_at) "
    "SELECT 'delivery', bill_id, 20, t + interval '72 hours', 'HTTP 500', t + interval '60 ms', "
    "t + interval '72 hours' FROM s WHERE dead";

// Nonces seen now: they stay for the replay window, as under a steady load.
const std::string kNonces =
    "INSERT INTO nonces (app_id, nonce, seen_at) SELECT $1::text, "
    "substr(md5($2::text || 'n'), 1, 16) || 'n' || i, now() FROM generate_series($3::bigint, "
    "$4::bigint) i";

bool load_chunk(PgSession& db, const std::vector<std::string>& params, std::string& error) {
  if (!db.exec("BEGIN", error)) return false;
  for (const std::string* sql : {&kBills, &kAudits, &kAttempts, &kDeadJobs, &kNonces}) {
    if (!db.exec(*sql, error, params)) return db.exec("ROLLBACK", error), false;
  }
  return db.exec("COMMIT", error);
}

}  // namespace

PrefillResult prefill_database(const std::string& conninfo, const std::string& app_id, int64_t rows,
                               uint64_t salt) {
  PrefillResult out;
  const auto start = std::chrono::steady_clock::now();
  PgSession db;
  if (!db.connect(conninfo, out.error)) return out;
  const std::string salt_text = std::to_string(salt);
  for (int64_t first = 1; first <= rows; first += kChunkRows) {
    const int64_t last = std::min(rows, first + kChunkRows - 1);
    if (!load_chunk(db, {app_id, salt_text, std::to_string(first), std::to_string(last)}, out.error))
      return out;
    if (rows > kChunkRows)
      std::fprintf(stderr, "unipay-bench: prefill %lld / %lld rows\n", static_cast<long long>(last),
                   static_cast<long long>(rows));
  }
  // Fresh statistics, as autovacuum would have them on a database that grew slowly.
  if (!db.exec("ANALYZE bills, callbacks, delivery_attempts, jobs, nonces", out.error)) return out;
  const std::string id_of =
      "SELECT bill_id FROM bills, (SELECT $3::bigint AS i) s WHERE app_id = $1::text AND bill_id = " +
      kBillId;
  if (!db.value(id_of, {app_id, salt_text, "1"}, out.delivered_bill_id, out.error) ||
      (rows >= kDeadJobEvery &&
       !db.value(id_of, {app_id, salt_text, std::to_string(kDeadJobEvery)}, out.paid_bill_id, out.error)))
    return out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.bills = rows;
  out.dead_jobs = rows / kDeadJobEvery;
  out.ok = true;
  return out;
}

}  // namespace unipay::bench
