// Where the machine's CPU went during a scenario, from /proc: the whole machine (busy vs
// idle), this bench process, the server process, and the PostgreSQL cluster (postmaster and
// its children). Dividing by the operations done gives CPU per lifecycle or per callback,
// which is what explains a throughput ceiling on a shared 2-core machine.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace unipay::bench {

struct CpuSnapshot {
  double machine_busy_s = 0;  // all CPUs, not idle and not iowait
  double machine_all_s = 0;
  double bench_s = 0;
  double server_s = -1;  // -1: unknown
  double postgres_s = -1;
  double provider_sim_s = -1;                 // unipay-provider-sim started by the bench; -1: none
  std::map<long, double> postgres_processes;  // pid → CPU seconds: finds the busiest backend
  std::map<long, std::pair<std::string, double>> server_threads;  // tid → (name, CPU seconds)
  double wall_s = 0;                                              // monotonic clock
};

// server_pid / postmaster_pid / provider_sim_pid: 0 when unknown.
CpuSnapshot take_cpu_snapshot(int server_pid, int postmaster_pid, int provider_sim_pid = 0);

// The postmaster's pid from <data_dir>/pg/data/postmaster.pid, or 0.
int read_postmaster_pid(const std::string& data_dir);

// (name, value) figures for the interval between two snapshots; per_op_name names the
// operation counted by ops (e.g. "lifecycle"), whose CPU µs each are added when ops > 0.
std::vector<std::pair<std::string, double>> cpu_metrics(const CpuSnapshot& before, const CpuSnapshot& after,
                                                        double ops, const std::string& per_op_name);

}  // namespace unipay::bench
