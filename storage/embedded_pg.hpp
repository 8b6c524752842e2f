// A private PostgreSQL cluster under <data-dir>/pg, owned by unipayd when no database URL
// is configured: initdb on first use, started with a Unix socket only (no TCP), reused when
// already running (after a kill -9 of unipayd), recovered from a stale postmaster.pid.
// As root the PostgreSQL binaries run as the `postgres` user through runuser.
#pragma once

#include <filesystem>
#include <string>

#include "config/result.hpp"

namespace unipay::storage {

struct EmbeddedPgOptions {
  std::filesystem::path data_dir;  // the cluster lives in data_dir/pg
  std::filesystem::path bin_dir = "/usr/lib/postgresql/15/bin";
  int port = 5432;  // only names the socket file: <data_dir>/pg/run/.s.PGSQL.<port>
  // WAL segments kept ready for reuse (min_wal_size), and created once when the cluster is
  // new. 0: PostgreSQL's default (80 MB, nothing created ahead).
  int wal_reserve_mb = 0;
};

class EmbeddedPostgres {
 public:
  // Creates (initdb) and starts the cluster, or attaches to the one already running there.
  static Result<EmbeddedPostgres> start(const EmbeddedPgOptions& options);

  // libpq connection string, e.g. "host=/abs/var/pg/run port=5432 dbname=unipay user=postgres"
  const std::string& conninfo() const { return conninfo_; }

  // pg_ctl stop -m fast. Safe to call twice.
  Status stop();

 private:
  EmbeddedPgOptions options_;
  std::string conninfo_;
};

}  // namespace unipay::storage
