// Pieces the scenarios share: the once-a-second interval (series point and live line), bulk
// bill creation before a storm, and the end-of-run check that every paid bill was delivered.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/context.hpp"
#include "bench/cpu_usage.hpp"

namespace unipay::bench {

// Every second: closes the stats interval (with gauge()) and, on a terminal, rewrites the
// live line: elapsed, rate of `step`, its p99, errors, and `extra()`. Stops when *alive is
// false.
void start_progress(Context& ctx, Step step, std::function<int64_t()> gauge,
                    std::function<std::string()> extra, std::shared_ptr<bool> alive);
// Ends the live line (a newline if one was drawn).
void end_progress(Context& ctx);

// Creates n bills with `connections` requests in flight; records Step::create. Stops at
// the deadline. Failed creations are errors and are not retried.
std::vector<CreatedBill> create_bills(Context& ctx, int n, int connections, Clock::time_point deadline);

// Waits (bounded) until the game server acknowledged every bill in `paid`. Then asks the
// server about each bill the game never got: still `paid` means its delivery is pending
// (retries back off; metric delivery_pending_at_end, not a loss); any other state, or no
// bill at all, counts as bills_lost. Returns the seconds the wait took.
// `acknowledged_before`: the game server's acknowledgements before these bills were paid
// (an earlier pass of the same run).
double settle_deliveries(Context& ctx, const std::vector<PaidBill>& paid, double max_wait_s,
                         uint64_t acknowledged_before = 0);

// CPU use over a phase (see cpu_usage.hpp), added to the scenario's metrics.
class CpuWindow {
 public:
  explicit CpuWindow(const Context& ctx)
      : before_(take_cpu_snapshot(ctx.server_pid, ctx.postmaster_pid, ctx.provider_sim_pid)) {}
  // Adds the figures, each name prefixed by `prefix` (a scenario with several phases).
  void finish(Context& ctx, double ops, const std::string& per_op_name, const std::string& prefix = "") const;

 private:
  CpuSnapshot before_;
};

// Also copies the game's duplicate count into the correctness counters.
void count_duplicates(Context& ctx);

// The overload scenario's figures (scenario_overload.cpp): samples the server's RSS from
// construction (before the load) on, and finish() adds the admission and memory metrics.
// cold_kib: the RSS of the server before it served anything (before the warm-up pass), or
// -1 when there was no warm-up (then the RSS at construction is the cold figure).
class OverloadWatch {
 public:
  OverloadWatch(Context& ctx, long cold_kib);
  ~OverloadWatch();
  OverloadWatch(const OverloadWatch&) = delete;
  OverloadWatch& operator=(const OverloadWatch&) = delete;
  // Waits until --settle-s after load_end, then reads the RSS and reports.
  void finish(Clock::time_point load_end);

 private:
  Context& ctx_;
  long before_kib_;
  long cold_kib_;
  std::shared_ptr<long> peak_kib_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The delivery backlog series (ctx.delivery_backlog sampled each second) as figures:
// delivery_backlog_max, delivery_backlog_at_load_end, and delivery_backlog_mean_second_half
// (the mean over the second half of the load window: bounded when it is not above the
// first half's, growing when deliveries fall behind payments). The window is the pass's
// own, in the series' clock (seconds since the run started: ctx.stats.elapsed_s()), so a
// second pass (--rate half-max) or a load after a setup phase is judged on its own seconds.
void backlog_metrics(Context& ctx, double load_start_s, double load_end_s);

// The wall clock's time of day in UTC, HH:MM:SS: what unipayd's log lines carry, so a pass's
// printed start finds its seconds there (scripts/access-log-latency.py --from).
std::string utc_time_of_day();

}  // namespace unipay::bench
