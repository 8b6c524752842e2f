// --prefill N: a grown database before the run (issue 10's growth figure). Loads N
// delivered bills of the bench's app with what their lifecycles left behind (the callback's
// audit row, the delivery attempt), N nonces still inside the replay window, and one
// given-up (dead) delivery job per 100 bills, left `paid` as the server leaves them.
#pragma once

#include <cstdint>
#include <string>

namespace unipay::bench {

struct PrefillResult {
  bool ok = false;
  std::string error;
  double seconds = 0;
  int64_t bills = 0;
  int64_t dead_jobs = 0;
  std::string delivered_bill_id;  // a prefilled bill left `delivered` (row 1)
  std::string paid_bill_id;       // one left `paid` with a dead job (row 100), when rows >= 100
};

// INSERT ... SELECT over generate_series, in chunks of one transaction each (bounded WAL
// and memory per statement), then ANALYZE, through libpq at `conninfo`. `salt` keeps the
// keys of two prefills into the same database apart.
PrefillResult prefill_database(const std::string& conninfo, const std::string& app_id, int64_t rows,
                               uint64_t salt);

}  // namespace unipay::bench
