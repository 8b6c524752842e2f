// SQL for the jobs table: claims with FOR UPDATE SKIP LOCKED and a lease, so any node may
// take a due job and no two nodes work on one job at once.
#include "storage/job_store.hpp"

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

}  // namespace

// The candidates are locked in a materialized CTE, so the LIMIT runs once and rows
// another claimer holds are skipped rather than waited for. A row that another claimer
// leased and committed meanwhile is re-checked on lock (READ COMMITTED re-evaluates the
// WHERE on the newest version), and its fresh lease excludes it.
Statement claim_due_jobs(const std::string& kind, const std::string& owner, std::chrono::milliseconds lease,
                         int limit) {
  return {
      "WITH due AS MATERIALIZED (SELECT job_id FROM jobs WHERE kind = $1::text "
      "AND dead_at IS NULL AND next_attempt_at <= now() "
      "AND (lease_until IS NULL OR lease_until < now()) "
      "ORDER BY next_attempt_at LIMIT $4::integer FOR UPDATE SKIP LOCKED) "
      "UPDATE jobs j SET lease_owner = $2::text, "
      "lease_until = now() + $3::bigint * interval '1 millisecond' "
      "FROM due WHERE j.job_id = due.job_id RETURNING " +
          job_columns("j"),
      {kind, owner, std::to_string(lease.count()), std::to_string(limit)}};
}

Statement reschedule_job(int64_t job_id, const std::string& owner, int attempt_done,
                         std::chrono::milliseconds delay, std::chrono::milliseconds lease,
                         const std::string& last_error) {
  return {
      "UPDATE jobs SET attempt = $3::integer, "
      "next_attempt_at = now() + $4::bigint * interval '1 millisecond', "
      "lease_until = now() + ($4::bigint + $5::bigint) * interval '1 millisecond', "
      "last_error = $6::text WHERE job_id = $1::bigint AND lease_owner = $2::text "
      "RETURNING job_id",
      {std::to_string(job_id), owner, std::to_string(attempt_done), std::to_string(delay.count()),
       std::to_string(lease.count()), last_error}};
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
Statement replay_delivery_job(const std::string& app_id_or_empty, const std::string& bill_id) {
  return {
      "UPDATE jobs j SET dead_at = NULL, next_attempt_at = now(), lease_owner = NULL, "
      "lease_until = NULL, attempt = 0, created_at = now() FROM bills b "
      "WHERE j.kind = 'delivery' AND j.bill_id = $2::text AND b.bill_id = j.bill_id "
      "AND ($1::text = '' OR b.app_id = $1::text) RETURNING j.job_id",
      {app_id_or_empty, bill_id}};
}

std::vector<Job> parse_jobs(const Rows& rows) {
  std::vector<Job> out;
  for (size_t row = 0; row < rows.size(); ++row) {
    if (rows.rows[row].size() < 7) continue;
    auto id = sql::to_int64(rows, row, 0);
    auto attempt = sql::to_int64(rows, row, 3);
    auto next = sql::to_millis(rows, row, 4);
    auto created = sql::to_millis(rows, row, 5);
    if (!id || !attempt || !next || !created) continue;
    out.push_back(
        Job{*id, rows.text(row, 1), rows.text(row, 2), int(*attempt), *next, *created, rows.text(row, 6)});
  }
  return out;
}

Statement select_job_for_bill(const std::string& kind, const std::string& bill_id) {
  return {"SELECT " + job_columns("j") +
              ", j.dead_at IS NOT NULL, coalesce(j.lease_owner, '') FROM jobs j "
              "WHERE j.kind = $1 AND j.bill_id = $2",
          {kind, bill_id}};
}

Statement finish_job(int64_t job_id, const std::string& owner) {
  return {"DELETE FROM jobs WHERE job_id = $1::bigint AND lease_owner = $2::text RETURNING job_id",
          {std::to_string(job_id), owner}};
}

}  // namespace unipay::storage
