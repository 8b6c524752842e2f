// What a run measures: latency histograms per step (whole run and the current one-second
// interval), errors by kind, the correctness counters, and a per-second time series for the
// live line and the SVG. Used from the loop thread only (the game simulator keeps its own,
// locked, records and is read from the loop thread).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/histogram.hpp"
#include "bench/loop.hpp"

namespace unipay::bench {

enum class Step : int {
  create,         // POST /v1/bills, sent → 201 read
  longpoll,       // GET .../result, sent → answer read (includes the wait)
  callback,       // POST /v1/callbacks/{app}/sandbox, sent → 200 read
  callback_dup,   // the same, for a duplicate (already applied) callback
  delivery,       // callback answered → the game server simulator got the first delivery
  wake,           // callback answered → long poll answered (until=delivered: after delivery)
  lifecycle,      // create sent → long poll answered with the bill delivered
  read,           // GET /v1/bills/{id} with the client token, sent → 200 read
  baseline_http,  // one request to bench/baseline_http
  count_
};
constexpr int kSteps = static_cast<int>(Step::count_);
const char* step_name(Step step);

struct Correctness {
  uint64_t bills_lost = 0;                 // paid (callback acknowledged) but never delivered, or gone
  uint64_t deliveries_duplicated = 0;      // a delivery after the game server had acknowledged one
  uint64_t waiters_never_answered = 0;     // a long poll with no answer, or timed out after payment
  uint64_t callbacks_wrongly_refused = 0;  // a valid, signed callback on a real bill not answered 200
  uint64_t total() const {
    return bills_lost + deliveries_duplicated + waiters_never_answered + callbacks_wrongly_refused;
  }
};

struct StepTotals {
  Histogram all;
  Histogram interval;
  double first_s = -1;  // seconds since the run started, first and last record
  double last_s = -1;
  double per_s() const;  // count over its active span
};

struct SeriesPoint {
  double t_s = 0;
  std::array<uint64_t, kSteps> count{};
  std::array<int64_t, kSteps> p99_us{};
  uint64_t errors = 0;
  int64_t gauge = -1;  // scenario-specific (backlog, open waiters); -1: none
  // Bills paid (callback acknowledged) and not yet acknowledged by the game server
  // simulator: deliveries owed at that second. -1: the scenario pays nothing.
  int64_t delivery_backlog = -1;
};

class Stats {
 public:
  explicit Stats(Clock::time_point start) : start_(start) {}

  void record(Step step, Clock::duration latency);
  // The same, for an event that happened at `when` (known only later, e.g. a delivery the
  // game server acknowledged): rates use that time; the one-second series does not see it.
  void record_at(Step step, Clock::duration latency, Clock::time_point when);
  void error(const std::string& kind);
  // Closes the current one-second interval into the series.
  void close_interval(int64_t gauge, int64_t delivery_backlog = -1);

  const StepTotals& step(Step s) const { return steps_[static_cast<size_t>(s)]; }
  uint64_t count(Step s) const { return step(s).all.count(); }
  uint64_t errors_total() const { return errors_total_; }
  const std::map<std::string, uint64_t>& errors() const { return errors_; }
  const std::vector<SeriesPoint>& series() const { return series_; }
  const SeriesPoint* last_point() const { return series_.empty() ? nullptr : &series_.back(); }
  double elapsed_s() const { return seconds_since(start_); }
  Clock::time_point start() const { return start_; }

  Correctness correctness;

 private:
  Clock::time_point start_;
  std::array<StepTotals, kSteps> steps_{};
  std::map<std::string, uint64_t> errors_;
  uint64_t errors_total_ = 0;
  uint64_t errors_at_interval_ = 0;
  std::vector<SeriesPoint> series_;
};

}  // namespace unipay::bench
