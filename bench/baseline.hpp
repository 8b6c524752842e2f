// --baseline: same-run reference figures, so results can be read as ratios on a shared,
// drifting machine: bench/baseline_http (a bare Beast 200-OK server, same io thread count
// as the server) driven by this client code with the same connection count and the same
// request as a sandbox callback; and PostgreSQL's durable commit rates (pg_commit.hpp).
#pragma once

#include <string>

#include "bench/context.hpp"
#include "bench/pg_commit.hpp"

namespace unipay::bench {

struct BaselineResult {
  bool ran = false;
  double http_per_s = -1;
  double http_p50_ms = -1;
  double http_p99_ms = -1;
  // CPU per answered request of the bare server and of this client (both sides of one
  // exchange), measured in the same run: the floor of what unipayd's HTTP can cost.
  double http_server_cpu_us_per_request = -1;
  double http_client_cpu_us_per_request = -1;
  int http_threads = 1;
  int http_connections = 0;
  std::string http_error;
  CommitRates pg;
};

// conninfo may be empty (then no commit rates, with a note).
BaselineResult run_baselines(Context& ctx, const std::string& conninfo, int io_threads);

}  // namespace unipay::bench
