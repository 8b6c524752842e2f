// SQL for the jobs table: claims with FOR UPDATE SKIP LOCKED and a lease, so any node may
// take a due job and no two nodes work on one job at once.
#include "storage/job_store.hpp"

#include <algorithm>

#include "storage/sql_support.hpp"

namespace unipay::storage {

namespace {

// The job columns in the order parse_jobs reads them, qualified by `alias`.
std::string job_columns(const std::string& alias) {
  const std::string p = alias + ".";
  return p + "job_id, " + p + "kind, " + p + "bill_id, " + p + "attempt, " +
         sql::ms_column(p + "next_attempt_at") + ", " + sql::ms_column(p + "created_at") + ", " + p +
         "last_error";
}

// True while a node holds the job `j`: claimed and attempting it, or waiting for its retry.
constexpr const char* kLeaseLive = "COALESCE(j.dead_at IS NULL AND j.lease_until >= now(), false)";

std::optional<Job> parse_job(const Rows& rows, size_t row) { return parse_job_columns(rows, row, 0); }

}  // namespace

std::optional<Job> parse_job_columns(const Rows& rows, size_t row, size_t first) {
  if (row >= rows.size() || rows.rows[row].size() < first + 7) return std::nullopt;
  auto id = sql::to_int64(rows, row, first);
  auto attempt = sql::to_int64(rows, row, first + 3);
  auto next = sql::to_millis(rows, row, first + 4);
  auto created = sql::to_millis(rows, row, first + 5);
  if (!id || !attempt || !next || !created) return std::nullopt;
  return Job{*id,      rows.text(row, first + 1), rows.text(row, first + 2), int(*attempt), *next,
             *created, rows.text(row, first + 6)};
}

// Fair claiming: `cand` reads the oldest due, unleased jobs (a window of `scan` rows, so the
// claim stays cheap however long the backlog; apps whose quota is 0 are skipped there, so
// a paused app's backlog does not fill the window), `ranked` numbers each app's jobs, and
// `due` locks the first `limit` in round-robin order (every app's first job, then every
// app's second, ...) up to each app's quota. The locking step is a materialized CTE, so the
// LIMIT runs once and rows another claimer holds are skipped rather than waited for. A row
// that another claimer leased and committed meanwhile is re-checked on lock (READ
// COMMITTED re-evaluates the WHERE on the newest version), and its fresh lease excludes it.
Statement claim_due_jobs(const std::string& kind, const std::string& owner, std::chrono::milliseconds lease,
                         int limit, const ClaimShares& shares) {
  static const std::string text =
      "WITH quota AS (SELECT q.app_id, q.n FROM unnest($5::text[], $6::bigint[]) AS q(app_id, n)), "
      "cand AS MATERIALIZED (SELECT j.job_id, b.app_id, j.next_attempt_at FROM jobs j "
      "JOIN bills b ON b.bill_id = j.bill_id WHERE j.kind = $1::text "
      "AND j.dead_at IS NULL AND j.next_attempt_at <= now() "
      "AND (j.lease_until IS NULL OR j.lease_until < now()) "
      "AND NOT EXISTS (SELECT 1 FROM quota q WHERE q.app_id = b.app_id AND q.n <= 0) "
      "ORDER BY j.next_attempt_at LIMIT $7::bigint), "
      "ranked AS (SELECT c.job_id, c.app_id, c.next_attempt_at, "
      "row_number() OVER (PARTITION BY c.app_id ORDER BY c.next_attempt_at) AS rn, "
      "coalesce((SELECT q.n FROM quota q WHERE q.app_id = c.app_id), $8::bigint) AS cap FROM cand c), "
      "due AS MATERIALIZED (SELECT j.job_id, r.app_id FROM jobs j JOIN ranked r ON r.job_id = j.job_id "
      "WHERE r.rn <= r.cap AND j.dead_at IS NULL AND j.next_attempt_at <= now() "
      "AND (j.lease_until IS NULL OR j.lease_until < now()) "
      "ORDER BY r.rn, r.next_attempt_at LIMIT $4::integer FOR UPDATE OF j SKIP LOCKED) "
      "UPDATE jobs j SET lease_owner = $2::text, "
      "lease_until = now() + $3::bigint * interval '1 millisecond' "
      "FROM due WHERE j.job_id = due.job_id RETURNING " +
      job_columns("j") + ", due.app_id, j.receipt";
  std::vector<std::string> apps;
  std::vector<std::string> quotas;
  for (const auto& [app_id, n] : shares.quotas) {
    apps.push_back(app_id);
    quotas.push_back(std::to_string(n));
  }
  const int64_t scan = std::max<int64_t>(limit, int64_t{limit} * int64_t(shares.scan_factor));
  return {text,
          {kind, owner, std::to_string(lease.count()), std::to_string(limit), sql::text_array(apps),
           sql::text_array(quotas), std::to_string(scan), std::to_string(shares.per_app)}};
}

std::vector<Job> parse_claimed_jobs(const Rows& rows) {
  std::vector<Job> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    auto job = parse_job(rows, row);
    if (!job || rows.rows[row].size() < 8) continue;
    job->app_id = rows.text(row, 7);
    if (rows.rows[row].size() > 8) job->receipt = rows.text(row, 8);
    out.push_back(std::move(*job));
  }
  return out;
}

Statement upsert_receipt_verify_job(const std::string& bill_id, const std::string& receipt,
                                    std::chrono::milliseconds delay) {
  static const std::string text =
      "INSERT INTO jobs (kind, bill_id, attempt, next_attempt_at, receipt) "
      "SELECT 'verify', b.bill_id, 0, now() + $3::bigint * interval '1 millisecond', $2::text "
      "FROM bills b WHERE b.bill_id = $1::text AND b.state = 'created' "
      "ON CONFLICT (kind, bill_id) DO UPDATE SET receipt = EXCLUDED.receipt, attempt = 0, "
      "next_attempt_at = EXCLUDED.next_attempt_at, lease_owner = NULL, lease_until = NULL, dead_at = NULL "
      "RETURNING job_id";
  return {text, {bill_id, receipt, std::to_string(delay.count())}};
}

// Refused work goes back at once: the lease ends now, so the next claim (here or on any
// node) takes it, instead of it waiting out the lease it was handed with.
Statement release_jobs(const std::string& kind, const std::string& owner,
                       const std::vector<std::string>& bill_ids) {
  static const std::string text =
      "UPDATE jobs SET lease_until = now() - interval '1 millisecond' WHERE kind = $1::text AND bill_id = "
      "ANY($3::text[]) "
      "AND lease_owner = $2::text AND dead_at IS NULL RETURNING job_id";
  return {text, {kind, owner, sql::text_array(bill_ids)}};
}

Statement expedite_app_jobs(const std::string& kind, const std::string& app_id) {
  static const std::string text =
      "UPDATE jobs j SET next_attempt_at = now(), lease_until = now() - interval '1 millisecond' "
      "FROM bills b WHERE b.bill_id = j.bill_id AND b.app_id = $2::text AND j.kind = $1::text "
      "AND j.dead_at IS NULL AND j.next_attempt_at > now() RETURNING j.job_id";
  return {text, {kind, app_id}};
}

Statement dead_letter_paused_app_jobs(const std::string& kind, const std::string& app_id,
                                      std::chrono::seconds give_up) {
  static const std::string text =
      "UPDATE jobs j SET dead_at = now(), lease_owner = NULL, lease_until = NULL "
      "FROM bills b WHERE b.bill_id = j.bill_id AND b.app_id = $2::text AND j.kind = $1::text "
      "AND j.dead_at IS NULL AND j.created_at <= now() - $3::bigint * interval '1 second' "
      "AND (j.lease_until IS NULL OR j.lease_until < now() OR j.lease_until = j.next_attempt_at) "
      "RETURNING j.job_id";
  return {text, {kind, app_id, std::to_string(give_up.count())}};
}

// The lease ends when the wait does (lease_until = next_attempt_at): no actor waits out
// the backoff, the job is the wait, and the first claim after it (any node) takes it.
Statement reschedule_job(int64_t job_id, const std::string& owner, int attempt_done,
                         std::chrono::milliseconds delay, const std::string& last_error) {
  return {
      "UPDATE jobs SET attempt = $3::integer, "
      "next_attempt_at = now() + $4::bigint * interval '1 millisecond', "
      "lease_until = now() + $4::bigint * interval '1 millisecond', "
      "last_error = $5::text WHERE job_id = $1::bigint AND lease_owner = $2::text "
      "RETURNING job_id",
      {std::to_string(job_id), owner, std::to_string(attempt_done), std::to_string(delay.count()),
       last_error}};
}

Statement dead_letter_job(int64_t job_id, const std::string& owner, int attempt_done,
                          const std::string& last_error) {
  return {
      "UPDATE jobs SET attempt = $3::integer, last_error = $4::text, dead_at = now(), "
      "lease_owner = NULL, lease_until = NULL WHERE job_id = $1::bigint AND lease_owner = $2::text "
      "RETURNING job_id",
      {std::to_string(job_id), owner, std::to_string(attempt_done), last_error}};
}

// A replay starts a fresh delivery run: attempt and created_at restart, so the retry
// actor's backoff begins at its first step and its give-up window (counted from
// created_at) is whole again instead of dead-lettering the job on its first failure.
// A live lease is never reset: its holder would go on attempting while another node claims
// the job. The UPDATE re-checks the lease on the newest row version (READ COMMITTED), so a
// claim committed meanwhile wins; `target` reads the statement's snapshot, so it still
// tells "no such job" apart from "left alone".
Statement replay_delivery_job(const std::string& app_id_or_empty, const std::string& bill_id) {
  static const std::string sql =
      "WITH target AS (SELECT j.job_id, j.lease_owner, " + sql::ms_column("j.lease_until") +
      " AS lease_until_ms FROM jobs j JOIN bills b ON b.bill_id = j.bill_id "
      "WHERE j.kind = 'delivery' AND j.bill_id = $2::text AND ($1::text = '' OR b.app_id = $1::text)), "
      "upd AS (UPDATE jobs j SET dead_at = NULL, next_attempt_at = now(), lease_owner = NULL, "
      "lease_until = NULL, attempt = 0, created_at = now() FROM target t "
      "WHERE j.job_id = t.job_id AND NOT " +
      kLeaseLive +
      " RETURNING j.job_id) "
      "SELECT t.job_id, EXISTS (SELECT 1 FROM upd), t.lease_owner, t.lease_until_ms FROM target t";
  return {sql, {app_id_or_empty, bill_id}};
}

ReplayResult parse_replay(const Rows& rows) {
  using Outcome = ReplayResult::Outcome;
  if (rows.empty() || rows.rows[0].size() < 4) return {};
  if (sql::to_bool(rows, 0, 1)) return {Outcome::replayed, "", std::nullopt};
  return {Outcome::lease_live, rows.text(0, 2), sql::to_millis(rows, 0, 3)};
}

std::vector<Job> parse_jobs(const Rows& rows) {
  std::vector<Job> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    if (auto job = parse_job(rows, row)) out.push_back(std::move(*job));
  }
  return out;
}

Statement select_job_for_bill(const std::string& kind, const std::string& bill_id) {
  return {"SELECT " + job_columns("j") +
              ", j.dead_at IS NOT NULL, coalesce(j.lease_owner, '') FROM jobs j "
              "WHERE j.kind = $1 AND j.bill_id = $2",
          {kind, bill_id}};
}

// Fixed text (the filters are "match anything" when empty), so it is prepared once per
// reader connection. Served by the (kind, bill_id) unique index in bill_id order.
Statement list_delivery_jobs(const DeliveryJobQuery& q) {
  static const std::string sql =
      "SELECT " + job_columns("j") + ", b.app_id, b.user_id, " + sql::ms_column("j.dead_at") +
      ", j.lease_owner, " + sql::ms_column("j.lease_until") + ", " + kLeaseLive +
      " FROM jobs j JOIN bills b ON b.bill_id = j.bill_id WHERE j.kind = $5::text "
      "AND ($1::text = 'any' OR ($1::text = 'dead') = (j.dead_at IS NOT NULL)) "
      "AND ($2::text = '' OR b.app_id = $2::text) AND ($3::text = '' OR j.bill_id > $3::text) "
      "ORDER BY j.bill_id LIMIT $4::bigint";
  using State = DeliveryJobQuery::State;
  const char* state = q.state == State::dead ? "dead" : q.state == State::pending ? "pending" : "any";
  int64_t limit = q.limit < 0 ? 0 : q.limit;
  return {sql, {state, q.app_id, q.after_bill_id, std::to_string(limit + 1), q.kind}};
}

std::vector<DeliveryJobView> parse_delivery_jobs(const Rows& rows) {
  std::vector<DeliveryJobView> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    auto job = parse_job(rows, row);
    if (!job || rows.rows[row].size() < 13) continue;
    DeliveryJobView v;
    v.job = std::move(*job);
    v.app_id = rows.text(row, 7);
    v.user_id = rows.text(row, 8);
    v.dead_at = sql::to_millis(rows, row, 9);
    v.lease_owner = rows.text(row, 10);
    v.lease_until = sql::to_millis(rows, row, 11);
    v.lease_live = sql::to_bool(rows, row, 12);
    out.push_back(std::move(v));
  }
  return out;
}

Statement finish_job(int64_t job_id, const std::string& owner) {
  return {"DELETE FROM jobs WHERE job_id = $1::bigint AND lease_owner = $2::text RETURNING job_id",
          {std::to_string(job_id), owner}};
}

Result<bool> lease_held(const Result<std::vector<Rows>>& rows) {
  if (!rows) return rows.error();
  return !rows->empty() && !rows->back().empty();
}

}  // namespace unipay::storage
