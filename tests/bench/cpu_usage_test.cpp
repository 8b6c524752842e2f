// bench/cpu_usage: CPU per operation from two snapshots (the figures of issue 10's table).
#include "bench/cpu_usage.hpp"

#include <gtest/gtest.h>

#include <string>

namespace unipay::bench {
namespace {

double figure(const std::vector<std::pair<std::string, double>>& metrics, const std::string& name) {
  for (const auto& [key, value] : metrics) {
    if (key == name) return value;
  }
  return -1;
}

CpuSnapshot snapshot(double server_s, std::map<long, double> postgres) {
  CpuSnapshot s;
  s.machine_all_s = 100;
  s.server_s = server_s;
  s.postgres_processes = std::move(postgres);
  s.postgres_s = 0;
  for (const auto& [pid, cpu] : s.postgres_processes) s.postgres_s += cpu;
  return s;
}

// Proves the server's and the cluster's CPU per operation, and their sum (the issue's
// `cpu_server_postgres_us_per_lifecycle`): 2 s and 1 s over 1,000 lifecycles.
TEST(CpuUsage, ServerAndPostgresPerOperationAndTheirSum) {
  const auto m =
      cpu_metrics(snapshot(10, {{1, 5}, {2, 5}}), snapshot(12, {{1, 5.5}, {2, 5.5}}), 1000, "lifecycle");
  EXPECT_DOUBLE_EQ(figure(m, "cpu_server_us_per_lifecycle"), 2000);
  EXPECT_DOUBLE_EQ(figure(m, "cpu_postgres_us_per_lifecycle"), 1000);
  EXPECT_DOUBLE_EQ(figure(m, "cpu_server_postgres_us_per_lifecycle"), 3000);
}

// Proves a backend that exited during the window (the --prefill connection, 240 s of CPU
// before the load) does not make the cluster's figure shrink or vanish, and one that
// started during it counts from zero.
TEST(CpuUsage, BackendsThatComeAndGoDoNotSkewTheCluster) {
  const auto m =
      cpu_metrics(snapshot(0, {{1, 1}, {2, 240}}), snapshot(0, {{1, 3}, {3, 0.5}}), 100, "callback");
  EXPECT_DOUBLE_EQ(figure(m, "cpu_postgres_s"), 2.5);
  EXPECT_DOUBLE_EQ(figure(m, "cpu_postgres_us_per_callback"), 25000);
}

}  // namespace
}  // namespace unipay::bench
