// bench/backlog_figures: the delivery backlog figures of one pass come from that pass's
// seconds only.
#include "bench/backlog_figures.hpp"

#include <gtest/gtest.h>

namespace unipay::bench {
namespace {

SeriesPoint point(double t_s, int64_t backlog) {
  SeriesPoint p;
  p.t_s = t_s;
  p.delivery_backlog = backlog;
  return p;
}

void expect_figures(const BacklogFigures& f, int64_t max, int64_t at_load_end, double first_half,
                    double second_half) {
  EXPECT_EQ(f.max, max);
  EXPECT_EQ(f.at_load_end, at_load_end);
  ASSERT_TRUE(f.mean_first_half && f.mean_second_half);
  EXPECT_DOUBLE_EQ(*f.mean_first_half, first_half);
  EXPECT_DOUBLE_EQ(*f.mean_second_half, second_half);
}

// Proves a pass started late in the run (the half-max pass after the max pass) is judged
// on its own seconds: the earlier pass's large backlog lends it neither its maximum nor its
// means, and the halves split the pass's own window, not the run's.
TEST(BacklogFigures, ASecondPassIsJudgedOnItsOwnSeconds) {
  std::vector<SeriesPoint> series;
  for (int t = 1; t <= 10; ++t) series.push_back(point(t, 500));  // the first pass
  for (int t = 11; t <= 20; ++t) series.push_back(point(t, t <= 15 ? 2 : 6));
  expect_figures(backlog_figures(series, 10.2, 20.2), 6, 6, 2.0, 6.0);
}

// Proves the drain after the load counts for the maximum only, that the point closed just
// after the load's end is its last, and that points without a backlog are skipped.
TEST(BacklogFigures, TheDrainCountsForTheMaximumOnly) {
  std::vector<SeriesPoint> series = {point(1, 4), point(2, -1), point(3, 8), point(4.4, 10), point(6, 40)};
  expect_figures(backlog_figures(series, 0, 4), 40, 10, 4.0, 9.0);
}

// Proves a pass with no backlog points gives no means rather than zeros.
TEST(BacklogFigures, NoPointsGiveNoMeans) {
  BacklogFigures f = backlog_figures({point(1, -1)}, 0, 10);
  EXPECT_EQ(f.max, 0);
  EXPECT_FALSE(f.mean_first_half);
  EXPECT_FALSE(f.mean_second_half);
}

}  // namespace
}  // namespace unipay::bench
