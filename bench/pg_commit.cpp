#include "bench/pg_commit.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "bench/pg_session.hpp"

namespace unipay::bench {

namespace {

constexpr int kGroupConnections = 16;

// `connections` threads, each committing one-row INSERT transactions (autocommit) until the
// deadline. Commits per second over all of them, or -1.
double commit_rate(const std::string& conninfo, int connections, double seconds, std::string& error) {
  std::vector<PgSession> conns(static_cast<size_t>(connections));
  for (auto& c : conns) {
    if (!c.connect(conninfo, error)) return -1;
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
  PgSession admin;
  if (!admin.connect(conninfo, out.error)) return out;
  if (!admin.exec("DROP TABLE IF EXISTS bench_commit", out.error) ||
      !admin.exec("CREATE TABLE bench_commit (id bigserial PRIMARY KEY, v bigint NOT NULL, t timestamptz NOT "
                  "NULL DEFAULT now())",
                  out.error)) {
    return out;
  }
  out.one_connection_per_s = commit_rate(conninfo, 1, seconds_each, out.error);
  if (out.one_connection_per_s > 0) {
    out.sixteen_connections_per_s = commit_rate(conninfo, kGroupConnections, seconds_each, out.error);
  }
  std::string ignored;
  admin.exec("DROP TABLE IF EXISTS bench_commit", ignored);
  return out;
}

}  // namespace unipay::bench
