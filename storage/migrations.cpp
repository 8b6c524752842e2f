#include "storage/migrations.hpp"

#include <fmt/format.h>

#include <set>

#include "storage/migrations_data.hpp"
#include "storage/pg_connection.hpp"

namespace unipay::storage {
namespace {

// Session-level advisory lock key shared by every unipayd node ("unipay_m" in ASCII):
// the second node to start waits for the first to finish migrating.
constexpr const char* kLockKey = "8461816681268338541";

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

Result<std::set<int>> applied_versions(PGconn* conn, Errc errc) {
  // to_regclass is NULL before the first migration run: nothing applied yet.
  auto exists = pg::exec(conn, {"SELECT to_regclass('schema_migrations') IS NOT NULL", {}}, errc);
  if (!exists) return exists.error();
  std::set<int> versions;
  if (exists->text(0, 0) != "t") return versions;
  auto rows = pg::exec(conn, {"SELECT version FROM schema_migrations", {}}, errc);
  if (!rows) return rows.error();
  for (size_t r = 0; r < rows->size(); ++r) versions.insert(std::stoi(rows->text(r, 0)));
  return versions;
}

Status apply_one(PGconn* conn, const EmbeddedMigration& migration) {
  auto fail = [&](const Error& error) -> Status {
    (void)pg::exec_script(conn, "ROLLBACK", Errc::storage_write);
    return make_error(Errc::storage_write,
                      fmt::format("migration {} failed: {}", migration.name, error.message));
  };
  if (auto s = pg::exec_script(conn, "BEGIN", Errc::storage_write); !s) return fail(s.error());
  const std::string sql(migration.sql);
  if (auto s = pg::exec_script(conn, sql.c_str(), Errc::storage_write); !s) return fail(s.error());
  Statement record{"INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                   {std::to_string(migration.version), std::string(migration.name)}};
  if (auto r = pg::exec(conn, record, Errc::storage_write); !r) return fail(r.error());
  if (auto s = pg::exec_script(conn, "COMMIT", Errc::storage_write); !s) return fail(s.error());
  return ok_status();
}

Status apply_missing(PGconn* conn) {
  if (auto s = pg::exec_script(conn, kCreateTable, Errc::storage_write); !s) return s;
  auto applied = applied_versions(conn, Errc::storage_write);
  if (!applied) return applied.error();
  for (const auto& migration : embedded_migrations()) {
    if (applied->count(migration.version)) continue;
    if (auto s = apply_one(conn, migration); !s) return s;
  }
  return ok_status();
}

}  // namespace

Status apply_migrations(const std::string& conninfo) {
  auto conn = pg::connect(conninfo, "unipay-migrations", Errc::storage_write);
  if (!conn) return conn.error();
  const std::string lock = fmt::format("SELECT pg_advisory_lock({})", kLockKey);
  if (auto s = pg::exec_script(conn->get(), lock.c_str(), Errc::storage_write); !s) return s;
  Status result = apply_missing(conn->get());
  // Closing the connection would release the lock too; unlocking keeps it explicit.
  const std::string unlock = fmt::format("SELECT pg_advisory_unlock({})", kLockKey);
  (void)pg::exec_script(conn->get(), unlock.c_str(), Errc::storage_write);
  return result;
}

Result<bool> migrations_current(const std::string& conninfo) {
  auto conn = pg::connect(conninfo, "unipay-migrations", Errc::storage_read);
  if (!conn) return conn.error();
  auto applied = applied_versions(conn->get(), Errc::storage_read);
  if (!applied) return applied.error();
  for (const auto& migration : embedded_migrations()) {
    if (!applied->count(migration.version)) return false;
  }
  return true;
}

int latest_migration_version() {
  const auto& all = embedded_migrations();
  return all.empty() ? 0 : all.back().version;
}

}  // namespace unipay::storage
