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
  wallet_op,      // wallet: an operation on one of the many accounts, sent → final answer read
  wallet_hot_op,  // wallet: an operation on the hot account, sent → final answer read
  wallet_replay,  // wallet: the same op_id sent again, sent → answer read
  count_
};
constexpr int kSteps = static_cast<int>(Step::count_);
const char* step_name(Step step);

struct Correctness {
  uint64_t bills_lost = 0;                 // paid (callback acknowledged) but never delivered, or gone
  uint64_t deliveries_duplicated = 0;      // a delivery after the game server had acknowledged one
  uint64_t waiters_never_answered = 0;     // a long poll with no answer, or timed out after payment
  uint64_t callbacks_wrongly_refused = 0;  // a valid, signed callback on a real bill not answered 200
  // wallet scenario (wallet_books.hpp says how each is found):
  uint64_t wallet_ops_lost = 0;                   // acknowledged, yet its ledger entry is missing
  uint64_t wallet_ops_duplicated = 0;             // an op_id with more than one ledger entry
  uint64_t wallet_entries_unexpected = 0;         // an entry no acknowledged operation made (money invented)
  uint64_t wallet_books_mismatches = 0;           // balance/held/available/chain disagree with the model
  uint64_t wallet_replays_differing = 0;          // the same op_id answered another status or body
  uint64_t wallet_ops_unresolved = 0;             // no final answer even after retries (outcome unknown)
  uint64_t wallet_reconciliation_mismatches = 0;  // GET /v1/reconciliation/ledger found some
  uint64_t wallet_total() const {
    return wallet_ops_lost + wallet_ops_duplicated + wallet_entries_unexpected + wallet_books_mismatches +
           wallet_replays_differing + wallet_ops_unresolved + wallet_reconciliation_mismatches;
  }
  uint64_t total() const {
    return bills_lost + deliveries_duplicated + waiters_never_answered + callbacks_wrongly_refused +
           wallet_total();
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
