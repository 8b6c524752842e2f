// The machine's durable commit rate, on the same PostgreSQL as the server: single-row
// INSERT transactions with synchronous_commit=on, from 1 and from 16 connections at once
// (PostgreSQL flushes concurrent commits together, so 16 shows what grouping gives).
#pragma once

#include <string>

namespace unipay::bench {

struct CommitRates {
  double one_connection_per_s = -1;
  double sixteen_connections_per_s = -1;
  std::string error;  // why they are missing
};

// Creates the scratch table bench_commit, measures each for seconds_each, drops it.
CommitRates measure_commit_rates(const std::string& conninfo, double seconds_each);

}  // namespace unipay::bench
