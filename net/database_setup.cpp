#include "net/database_setup.hpp"

#include <spdlog/spdlog.h>

#include "storage/migrations.hpp"

namespace unipay {

Result<DatabaseSetup> setup_database(const config::Config& config, const std::string& incarnation) {
  DatabaseSetup setup;
  const auto& dc = config.database;
  if (dc.url.empty()) {
    auto pg = storage::EmbeddedPostgres::start(
        {dc.data_dir, "/usr/lib/postgresql/15/bin", dc.embedded_port, dc.embedded_wal_reserve_mb});
    if (!pg) return pg.error();
    setup.conninfo = pg->conninfo();
    setup.embedded = std::move(*pg);
    spdlog::info("embedded PostgreSQL ready under {}/pg", dc.data_dir);
  } else {
    setup.conninfo = dc.url;
  }
  if (auto migrated = storage::apply_migrations(setup.conninfo); !migrated) return migrated.error();
  storage::DatabaseOptions options;
  options.conninfo = setup.conninfo;
  options.reader_connections = dc.reader_connections;
  options.write_queue_limit_ops = dc.write_queue_limit_ops;
  options.write_queue_reserved_ops = dc.write_queue_reserved_ops;
  options.admission = {config.server.admission_target_delay_ms, config.server.admission_interval_ms};
  options.new_work_sojourn = {dc.new_work_admit_wait_ms, dc.new_work_max_wait_ms};
  options.read_queue_limit_ops = dc.read_queue_limit_ops;
  options.max_batch_ops = dc.max_batch_ops;
  options.incarnation = incarnation;
  options.maintenance_statement_timeout = dc.housekeeping_statement_timeout_ms;
  auto db = storage::Database::open(options);
  if (!db) return db.error();
  setup.db = std::move(*db);
  return setup;
}

}  // namespace unipay
