// The end of a run: a table on stdout, --json FILE, --svg FILE (svg.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bench/baseline.hpp"
#include "bench/context.hpp"

namespace unipay::bench {

struct RunInfo {
  std::string target;
  bool spawned = false;
  std::vector<std::string> server_args;
  int io_threads = 1;
  double elapsed_s = 0;
  std::string loadavg_before;  // /proc/loadavg: others' work on a shared machine shows here
  std::string loadavg_after;
  GameCounters game;
  ClientCounters client;
};

// The first three fields of /proc/loadavg.
std::string read_loadavg();

// The headline rate of the scenario (lifecycles/s, callbacks/s), or -1.
double headline_rate(const Context& ctx);
// (name, value) ratios to the same-run baselines.
std::vector<std::pair<std::string, double>> ratios(const Context& ctx, const BaselineResult& base);

// The wallet scenario's correctness counters by name (stats.hpp).
std::vector<std::pair<std::string, uint64_t>> wallet_correctness(const Correctness& c);

void print_table(const Context& ctx, const BaselineResult& base, const RunInfo& info);
bool write_json(const std::string& path, const Context& ctx, const BaselineResult& base, const RunInfo& info);
bool write_svg(const std::string& path, const Context& ctx);

}  // namespace unipay::bench
