// The delivery backlog of one pass, from the per-second series: what the report's
// delivery_backlog_* figures say.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bench/stats.hpp"

namespace unipay::bench {

struct BacklogFigures {
  int64_t max = 0;
  int64_t at_load_end = 0;
  std::optional<double> mean_first_half;
  std::optional<double> mean_second_half;
};

// Only the points of the pass's own window [load_start_s, load_end_s] (seconds in the
// series' clock) count, plus the drain after it for the maximum: a second pass in the same
// run, or a setup phase before the load, must not lend the pass its figures. Points
// without a backlog (-1) are skipped.
BacklogFigures backlog_figures(const std::vector<SeriesPoint>& series, double load_start_s,
                               double load_end_s);

}  // namespace unipay::bench
