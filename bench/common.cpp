#include "bench/common.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>

#include "bench/backlog_figures.hpp"

namespace unipay::bench {

namespace {
constexpr auto kInterval = std::chrono::seconds(1);
bool g_line_drawn = false;

bool live_line(const Context& ctx) { return ctx.options.progress && ::isatty(STDERR_FILENO) == 1; }
}  // namespace

void start_progress(Context& ctx, Step step, std::function<int64_t()> gauge,
                    std::function<std::string()> extra, std::shared_ptr<bool> alive) {
  ctx.loop.every(kInterval, [&ctx, step, gauge = std::move(gauge), extra = std::move(extra), alive] {
    if (!*alive) return false;
    ctx.stats.close_interval(gauge ? gauge() : -1, ctx.delivery_backlog ? ctx.delivery_backlog() : -1);
    if (!live_line(ctx)) return true;
    const SeriesPoint& p = *ctx.stats.last_point();
    auto i = static_cast<size_t>(step);
    std::fprintf(stderr, "\r\033[K[%6.1fs] %s %6llu/s p99 %8.2f ms | errors %llu | %s", p.t_s,
                 step_name(step), static_cast<unsigned long long>(p.count[i]),
                 static_cast<double>(p.p99_us[i]) / 1000.0,
                 static_cast<unsigned long long>(ctx.stats.errors_total()), extra ? extra().c_str() : "");
    if (p.delivery_backlog >= 0)
      std::fprintf(stderr, " | owed %lld", static_cast<long long>(p.delivery_backlog));
    std::fflush(stderr);
    g_line_drawn = true;
    return true;
  });
}

void end_progress(Context&) {
  if (g_line_drawn) std::fprintf(stderr, "\n");
  g_line_drawn = false;
}

namespace {

struct CreateState {
  int wanted = 0;
  int sent = 0;
  int answered = 0;
  std::vector<CreatedBill> bills;
};

void create_next(Context& ctx, const std::shared_ptr<CreateState>& st) {
  if (st->sent >= st->wanted) return;
  int index = st->sent++;
  std::string nonce;
  ClientRequest request = create_bill_request(ctx.app, fmt::format("u{}", index), nonce);
  ctx.client.send(std::move(request), [&ctx, st, nonce](ClientResponse r) {
    st->answered += 1;
    CreatedBill bill;
    std::string kind;
    if (parse_create_answer(r, ctx.app, nonce, bill, kind)) {
      ctx.stats.record(Step::create, r.latency());
      st->bills.push_back(std::move(bill));
    } else {
      ctx.stats.error("create:" + kind);
    }
    create_next(ctx, st);
  });
}

}  // namespace

std::vector<CreatedBill> create_bills(Context& ctx, int n, int connections, Clock::time_point deadline) {
  auto st = std::make_shared<CreateState>();
  st->wanted = n;
  st->bills.reserve(static_cast<size_t>(n));
  for (int i = 0; i < connections && i < n; ++i) create_next(ctx, st);
  ctx.loop.run_while([&] { return st->answered < st->sent || st->sent < st->wanted; }, deadline);
  st->wanted = st->sent;  // past the deadline: no more
  return std::move(st->bills);
}

namespace {

constexpr size_t kMaxStateChecks = 5000;  // bills asked about after the wait, at most
constexpr int kStateCheckLanes = 16;

// Asks the server for each bill's state (bounded): `paid` is a pending delivery, anything
// else is a lost bill. Bills beyond the bound count as lost (unknown is not good enough).
void classify_undelivered(Context& ctx, const std::vector<std::string>& missing) {
  if (missing.empty()) return;
  auto pending = std::make_shared<uint64_t>(0);
  auto answered = std::make_shared<size_t>(0);
  auto next = std::make_shared<size_t>(0);
  const size_t checks = std::min(missing.size(), kMaxStateChecks);
  auto lane = std::make_shared<std::function<void()>>();
  *lane = [&ctx, &missing, pending, answered, next, checks,
           weak = std::weak_ptr<std::function<void()>>(lane)] {
    if (*next >= checks) return;
    const std::string& bill_id = missing[(*next)++];
    ctx.client.send(get_bill_signed_request(ctx.app, bill_id),
                    [&ctx, pending, answered, weak](ClientResponse r) {
                      *answered += 1;
                      std::string state = bill_state_of(r);
                      if (state == "paid") {
                        *pending += 1;
                      } else {
                        ctx.stats.correctness.bills_lost += 1;
                        ctx.stats.error("lost:state_" + (state.empty() ? answer_error_kind(r) : state));
                      }
                      if (auto f = weak.lock()) (*f)();
                    });
  };
  for (int i = 0; i < kStateCheckLanes; ++i) (*lane)();
  ctx.loop.run_while([&] { return *answered < *next; }, Clock::now() + std::chrono::seconds(60));
  ctx.stats.correctness.bills_lost += missing.size() - *answered;  // never asked, or no answer
  ctx.result.metric("delivery_pending_at_end", static_cast<double>(*pending));
}

}  // namespace

double settle_deliveries(Context& ctx, const std::vector<PaidBill>& paid, double max_wait_s,
                         uint64_t acknowledged_before) {
  auto started = Clock::now();
  // The app is the bench's own, so every acknowledged delivery since is one of `paid`.
  ctx.loop.run_while(
      [&] { return ctx.game.counters().acknowledged < acknowledged_before + paid.size(); },
      started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(max_wait_s)));
  double waited = seconds_since(started);
  std::vector<std::string> missing;
  for (const PaidBill& bill : paid) {
    auto acked = ctx.game.acknowledged_at(bill.bill_id);
    if (!acked) {
      missing.push_back(bill.bill_id);
      continue;
    }
    // Callback answered → the game server acknowledged the delivery, for every paid bill.
    ctx.stats.record_at(Step::delivery, std::max(*acked - bill.paid_at, Clock::duration::zero()), *acked);
  }
  classify_undelivered(ctx, missing);
  return waited;
}

void CpuWindow::finish(Context& ctx, double ops, const std::string& per_op_name,
                       const std::string& prefix) const {
  auto after = take_cpu_snapshot(ctx.server_pid, ctx.postmaster_pid, ctx.provider_sim_pid);
  for (auto& [name, value] : cpu_metrics(before_, after, ops, per_op_name))
    ctx.result.metric(prefix + name, value);
}

void count_duplicates(Context& ctx) {
  ctx.stats.correctness.deliveries_duplicated = ctx.game.counters().duplicates;
}

std::string utc_time_of_day() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[16] = {};
  std::strftime(text, sizeof text, "%H:%M:%S", &utc);
  return text;
}

void backlog_metrics(Context& ctx, double load_start_s, double load_end_s) {
  BacklogFigures f = backlog_figures(ctx.stats.series(), load_start_s, load_end_s);
  ctx.result.metric("delivery_backlog_max", static_cast<double>(f.max));
  ctx.result.metric("delivery_backlog_at_load_end", static_cast<double>(f.at_load_end));
  if (f.mean_first_half) ctx.result.metric("delivery_backlog_mean_first_half", *f.mean_first_half);
  if (f.mean_second_half) ctx.result.metric("delivery_backlog_mean_second_half", *f.mean_second_half);
}

}  // namespace unipay::bench
