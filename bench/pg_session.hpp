// One libpq connection of the bench's own (commit-rate baseline, --prefill): connect with
// synchronous_commit on, run a statement, close on destruction.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <vector>

namespace unipay::bench {

struct PgSession {
  PGconn* pg = nullptr;
  PgSession() = default;
  PgSession(PgSession&& other) noexcept : pg(other.pg) { other.pg = nullptr; }
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;
  ~PgSession() {
    if (pg) PQfinish(pg);
  }
  // Explicit synchronous_commit=on whatever the server's default: each COMMIT waits for its
  // WAL flush, as the server's own do.
  bool connect(const std::string& conninfo, std::string& error);
  // A statement (text parameters, NULL-free); false with `error` set when it failed.
  bool exec(const std::string& sql, std::string& error, const std::vector<std::string>& params = {});
  // The first column of the first row ("" for none or NULL); false when it failed.
  bool value(const std::string& sql, const std::vector<std::string>& params, std::string& out,
             std::string& error);
};

}  // namespace unipay::bench
