// overload: the lifecycle load offered far beyond what the server can take (give --rate a
// multiple of the measured max). Admission control should refuse new bills early (503
// busy + Retry-After) so that what is admitted stays fast, while callbacks (money already
// taken) are still answered 200. Reports the admitted p99, refusals by status, the share
// of callback answers that were 200, and the server's RSS before, at its peak and
// --settle-s after the load (freed memory must go back to the system). "Before" has two
// figures: cold (a fresh server that has not yet touched most of its code and libraries)
// and warm (after a --warmup-s pass at --warmup-rate: a server in service, the honest
// pre-load figure); the ratios are given against both.
#include <algorithm>
#include <cstdio>

#include "bench/common.hpp"
#include "bench/spawn.hpp"

namespace unipay::bench {

OverloadWatch::OverloadWatch(Context& ctx, long cold_kib)
    : ctx_(ctx), before_kib_(read_rss_kib(ctx.server_pid)), cold_kib_(cold_kib < 0 ? before_kib_ : cold_kib) {
  peak_kib_ = std::make_shared<long>(before_kib_);
  auto peak = peak_kib_;
  int pid = ctx.server_pid;
  auto alive = alive_;
  ctx.loop.every(std::chrono::milliseconds(250), [peak, pid, alive] {
    if (!*alive) return false;
    *peak = std::max(*peak, read_rss_kib(pid));
    return true;
  });
}

OverloadWatch::~OverloadWatch() { *alive_ = false; }

namespace {

// Answers of one kind of request: how many, by error kind with this prefix.
uint64_t errors_with_prefix(const Stats& stats, const std::string& prefix) {
  uint64_t n = 0;
  for (const auto& [kind, count] : stats.errors()) {
    if (kind.rfind(prefix, 0) == 0) n += count;
  }
  return n;
}

double mb(long kib) { return static_cast<double>(kib) / 1024.0; }

double ratio(long kib, long base_kib) {
  return base_kib > 0 ? static_cast<double>(kib) / static_cast<double>(base_kib) : 0;
}

}  // namespace

void OverloadWatch::finish(Clock::time_point load_end) {
  const Options& o = ctx_.options;
  Stats& stats = ctx_.stats;
  // Wait out the settle time after the load, then read the RSS. The bench's idle
  // keep-alive connections are closed first: the figure is the server's own memory.
  ctx_.client.close_idle();
  ctx_.loop.run_while([] { return true; }, load_end + std::chrono::duration_cast<Clock::duration>(
                                                          std::chrono::duration<double>(o.settle_s)));
  const long after_kib = read_rss_kib(ctx_.server_pid);
  *alive_ = false;
  const uint64_t created = stats.count(Step::create);
  ctx_.result.metric("creates_admitted", static_cast<double>(created));
  ctx_.result.metric("creates_refused_503",
                     static_cast<double>(errors_with_prefix(stats, "create:http_503")));
  ctx_.result.metric("creates_refused_429",
                     static_cast<double>(errors_with_prefix(stats, "create:http_429")));
  ctx_.result.metric("creates_no_answer", static_cast<double>(errors_with_prefix(stats, "create:no_answer")));
  ctx_.result.metric("admitted_create_p99_ms", stats.step(Step::create).all.quantile_us(0.99) / 1000.0);
  ctx_.result.metric("admitted_lifecycle_p99_ms", stats.step(Step::lifecycle).all.quantile_us(0.99) / 1000.0);
  const uint64_t callbacks_ok = stats.count(Step::callback);
  const uint64_t callbacks_other = errors_with_prefix(stats, "callback:");
  const uint64_t callbacks_all = callbacks_ok + callbacks_other;
  ctx_.result.metric(
      "callback_answers_200_ratio",
      callbacks_all == 0 ? 1.0 : static_cast<double>(callbacks_ok) / static_cast<double>(callbacks_all));
  if (before_kib_ < 0 || after_kib < 0 || cold_kib_ < 0) {
    ctx_.result.notes.push_back("server RSS unknown: give --server-pid with --target");
    return;
  }
  // before = warm when a warm-up ran (the figure the target is judged against), else cold.
  const bool warmed = o.warmup_s > 0;
  ctx_.result.metric("server_rss_cold_mb", mb(cold_kib_));
  if (warmed) ctx_.result.metric("server_rss_warm_mb", mb(before_kib_));
  ctx_.result.metric("server_rss_before_mb", mb(before_kib_));
  ctx_.result.metric("server_rss_peak_mb", mb(*peak_kib_));
  ctx_.result.metric("server_rss_after_settle_mb", mb(after_kib));
  ctx_.result.metric("settle_s", o.settle_s);
  ctx_.result.metric("rss_after_settle_over_before", ratio(after_kib, before_kib_));
  ctx_.result.metric("rss_after_settle_over_cold", ratio(after_kib, cold_kib_));
  if (warmed) ctx_.result.metric("rss_after_settle_over_warm", ratio(after_kib, before_kib_));
}

}  // namespace unipay::bench
