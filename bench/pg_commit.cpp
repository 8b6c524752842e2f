#include "bench/pg_commit.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace unipay::bench {

namespace {

constexpr int kGroupConnections = 16;

struct Conn {
  PGconn* pg = nullptr;
  ~Conn() {
    if (pg) PQfinish(pg);
  }
};

bool exec_ok(PGconn* pg, const char* sql, std::string& error) {
  PGresult* r = PQexec(pg, sql);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  if (!ok) error = std::string(sql) + ": " + PQerrorMessage(pg);
  PQclear(r);
  return ok;
}

bool connect(Conn& c, const std::string& conninfo, std::string& error) {
  c.pg = PQconnectdb(conninfo.c_str());
  if (PQstatus(c.pg) != CONNECTION_OK) {
    error = std::string("connect: ") + PQerrorMessage(c.pg);
    return false;
  }
  // Explicit, whatever the server's default: each COMMIT waits for its WAL flush.
  return exec_ok(c.pg, "SET synchronous_commit = on", error) &&
         exec_ok(c.pg, "SET client_min_messages = warning", error);  // no NOTICE on stderr
}

// `connections` threads, each committing one-row INSERT transactions (autocommit) until the
// deadline. Commits per second over all of them, or -1.
double commit_rate(const std::string& conninfo, int connections, double seconds, std::string& error) {
  std::vector<Conn> conns(static_cast<size_t>(connections));
  for (auto& c : conns) {
    if (!connect(c, conninfo, error)) return -1;
  }
  std::atomic<uint64_t> commits{0};
  std::atomic<bool> failed{false};
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (auto& c : conns) {
    threads.emplace_back([&c, &commits, &failed, deadline] {
      const char* sql = "INSERT INTO bench_commit (v) VALUES (1)";
      while (!failed.load(std::memory_order_relaxed) && std::chrono::steady_clock::now() < deadline) {
        PGresult* r = PQexec(c.pg, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) failed = true;
        PQclear(r);
        commits.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (auto& t : threads) t.join();
  if (failed) {
    error = "INSERT failed during the measurement";
    return -1;
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(commits.load()) / elapsed;
}

}  // namespace

CommitRates measure_commit_rates(const std::string& conninfo, double seconds_each) {
  CommitRates out;
  Conn admin;
  if (!connect(admin, conninfo, out.error)) return out;
  if (!exec_ok(admin.pg, "DROP TABLE IF EXISTS bench_commit", out.error) ||
      !exec_ok(admin.pg,
               "CREATE TABLE bench_commit (id bigserial PRIMARY KEY, v bigint NOT NULL, t timestamptz NOT "
               "NULL DEFAULT now())",
               out.error)) {
    return out;
  }
  out.one_connection_per_s = commit_rate(conninfo, 1, seconds_each, out.error);
  if (out.one_connection_per_s > 0) {
    out.sixteen_connections_per_s = commit_rate(conninfo, kGroupConnections, seconds_each, out.error);
  }
  std::string ignored;
  exec_ok(admin.pg, "DROP TABLE IF EXISTS bench_commit", ignored);
  return out;
}

}  // namespace unipay::bench
