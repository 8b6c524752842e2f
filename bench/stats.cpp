#include "bench/stats.hpp"

#include <algorithm>

namespace unipay::bench {

namespace {
// Spans shorter than this give no meaningful rate.
constexpr double kMinSpanS = 0.001;
}  // namespace

const char* step_name(Step step) {
  switch (step) {
    case Step::create:
      return "create";
    case Step::longpoll:
      return "longpoll";
    case Step::callback:
      return "callback";
    case Step::callback_dup:
      return "callback_dup";
    case Step::delivery:
      return "delivery";
    case Step::wake:
      return "wake";
    case Step::lifecycle:
      return "lifecycle";
    case Step::read:
      return "read";
    case Step::baseline_http:
      return "baseline_http";
    case Step::wallet_op:
      return "wallet_op";
    case Step::wallet_hot_op:
      return "wallet_hot_op";
    case Step::wallet_replay:
      return "wallet_replay";
    case Step::count_:
      break;
  }
  return "?";
}

double StepTotals::per_s() const {
  double span = last_s - first_s;
  if (all.count() < 2 || span < kMinSpanS) return 0.0;
  // Records over the span from the first to the last: a step that ran only during one
  // phase of a scenario (the storm of the callbacks scenario) is rated over that phase.
  return static_cast<double>(all.count()) / span;
}

void Stats::record(Step step, Clock::duration latency) {
  auto& s = steps_[static_cast<size_t>(step)];
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
  s.all.record_us(us);
  s.interval.record_us(us);
  double now = elapsed_s();
  if (s.first_s < 0) s.first_s = now;
  s.last_s = now;
}

void Stats::record_at(Step step, Clock::duration latency, Clock::time_point when) {
  auto& s = steps_[static_cast<size_t>(step)];
  s.all.record_us(std::chrono::duration_cast<std::chrono::microseconds>(latency).count());
  double at = std::chrono::duration<double>(when - start_).count();
  if (s.first_s < 0 || at < s.first_s) s.first_s = at;
  s.last_s = std::max(s.last_s, at);
}

void Stats::error(const std::string& kind) {
  errors_[kind] += 1;
  errors_total_ += 1;
}

void Stats::close_interval(int64_t gauge, int64_t delivery_backlog) {
  SeriesPoint p;
  p.t_s = elapsed_s();
  for (size_t i = 0; i < steps_.size(); ++i) {
    p.count[i] = steps_[i].interval.count();
    p.p99_us[i] = steps_[i].interval.quantile_us(0.99);
    steps_[i].interval.reset();
  }
  p.errors = errors_total_ - errors_at_interval_;
  errors_at_interval_ = errors_total_;
  p.gauge = gauge;
  p.delivery_backlog = delivery_backlog;
  series_.push_back(p);
}

}  // namespace unipay::bench
