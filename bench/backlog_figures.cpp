#include "bench/backlog_figures.hpp"

#include <algorithm>

namespace unipay::bench {

BacklogFigures backlog_figures(const std::vector<SeriesPoint>& series, double load_start_s,
                               double load_end_s) {
  // The last one-second point of the load closes up to half a second after its end.
  constexpr double kCloseSlack_s = 0.5;
  BacklogFigures out;
  double first_sum = 0, second_sum = 0;
  int first_n = 0, second_n = 0;
  const double middle_s = (load_start_s + load_end_s) / 2;
  for (const SeriesPoint& p : series) {
    if (p.delivery_backlog < 0 || p.t_s < load_start_s) continue;
    out.max = std::max(out.max, p.delivery_backlog);
    if (p.t_s > load_end_s + kCloseSlack_s) continue;
    out.at_load_end = p.delivery_backlog;
    if (p.t_s < middle_s) {
      first_sum += static_cast<double>(p.delivery_backlog);
      ++first_n;
    } else {
      second_sum += static_cast<double>(p.delivery_backlog);
      ++second_n;
    }
  }
  if (first_n > 0) out.mean_first_half = first_sum / first_n;
  if (second_n > 0) out.mean_second_half = second_sum / second_n;
  return out;
}

}  // namespace unipay::bench
