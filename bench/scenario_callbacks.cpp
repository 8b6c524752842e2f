// callbacks: a storm of signed sandbox callbacks on bills created beforehand, a share of
// them sent twice (providers retry). Every callback must be answered 200 (a duplicate
// with the same trade number is acknowledged and ignored); every paid bill must then be
// delivered to the game server, once.
#include <deque>
#include <random>

#include "bench/common.hpp"

namespace unipay::bench {

namespace {

constexpr int kMaxTriesPerCallback = 5;
constexpr auto kCreateBound = std::chrono::seconds(900);

struct Storm {
  std::vector<CreatedBill> bills;
  size_t next = 0;
  std::deque<std::pair<size_t, int>> again;  // (bill index, tries): duplicates and busy retries
  std::vector<PaidBill> paid;
  std::vector<bool> is_paid;
  std::mt19937_64 random;
  Clock::time_point end;
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t duplicates = 0;
  bool done() const { return Clock::now() >= end || (next >= bills.size() && again.empty()); }
};

void send_next(Context& ctx, const std::shared_ptr<Storm>& st);

void on_answer(Context& ctx, const std::shared_ptr<Storm>& st, size_t index, int tries,
               const ClientResponse& r) {
  st->answered += 1;
  const bool duplicate = st->is_paid[index];
  if (r.status == 200) {
    ctx.stats.record(duplicate ? Step::callback_dup : Step::callback, r.latency());
    if (!duplicate) {
      st->is_paid[index] = true;
      st->paid.push_back(PaidBill{st->bills[index].bill_id, r.done_at});
      if (std::uniform_real_distribution<double>(0, 1)(st->random) < ctx.options.duplicate_share) {
        st->again.emplace_back(index, 0);
      }
    }
  } else {
    ctx.stats.error(std::string(duplicate ? "callback_dup:" : "callback:") + answer_error_kind(r));
    const bool busy = r.status == 0 || r.status == 429 || r.status >= 500;
    if (!busy) ctx.stats.correctness.callbacks_wrongly_refused += 1;
    if (busy && tries + 1 < kMaxTriesPerCallback) st->again.emplace_back(index, tries + 1);
  }
  send_next(ctx, st);
}

void send_next(Context& ctx, const std::shared_ptr<Storm>& st) {
  if (st->done()) return;
  size_t index = 0;
  int tries = 0;
  // Duplicates and retries first: providers resend soon after the first try.
  if (!st->again.empty()) {
    std::tie(index, tries) = st->again.front();
    st->again.pop_front();
  } else {
    if (st->next >= st->bills.size()) return;
    index = st->next++;
  }
  if (st->is_paid[index]) st->duplicates += 1;
  st->sent += 1;
  const std::string& bill_id = st->bills[index].bill_id;
  ctx.client.send(callback_request(ctx.app, bill_id, "t" + bill_id),
                  [&ctx, st, index, tries](ClientResponse r) { on_answer(ctx, st, index, tries, r); });
}

}  // namespace

int run_callbacks(Context& ctx) {
  const Options& o = ctx.options;
  auto st = std::make_shared<Storm>();
  st->random.seed(o.seed);
  std::fprintf(stderr, "unipay-bench: creating %d bills for the storm\n", o.bills);
  auto create_start = Clock::now();
  st->bills = create_bills(ctx, o.bills, o.connections, create_start + kCreateBound);
  ctx.result.metric("bills_created", static_cast<double>(st->bills.size()));
  ctx.result.metric("create_phase_s", seconds_since(create_start));
  st->is_paid.assign(st->bills.size(), false);

  auto alive = std::make_shared<bool>(true);
  CpuWindow cpu(ctx);
  auto storm_start = Clock::now();
  const double storm_start_s = ctx.stats.elapsed_s();
  ctx.game.set_load_start(storm_start);
  st->end =
      storm_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  ctx.delivery_backlog = [st, &ctx] {
    return static_cast<int64_t>(st->paid.size()) - static_cast<int64_t>(ctx.game.counters().acknowledged);
  };
  start_progress(
      ctx, Step::callback,
      [st, &ctx] {
        return static_cast<int64_t>(st->paid.size()) - static_cast<int64_t>(ctx.game.counters().acknowledged);
      },
      [st] { return "paid " + std::to_string(st->paid.size()) + " dup " + std::to_string(st->duplicates); },
      alive);
  ctx.result.headline = Step::callback;
  for (int i = 0; i < o.connections; ++i) send_next(ctx, st);
  ctx.loop.run_while([&] { return st->answered < st->sent; }, st->end + std::chrono::seconds(30));
  double storm_s = seconds_since(storm_start);
  double settle_s = settle_deliveries(ctx, st->paid, o.drain_s);
  // Each callback's cost includes the delivery it causes, so the window ends after them.
  cpu.finish(ctx, static_cast<double>(st->answered), "callback");
  *alive = false;
  end_progress(ctx);
  ctx.delivery_backlog = nullptr;
  backlog_metrics(ctx, storm_start_s, storm_start_s + storm_s);
  count_duplicates(ctx);
  ctx.result.metric("storm_s", storm_s);
  ctx.result.metric("callbacks_answered_200", static_cast<double>(ctx.stats.count(Step::callback) +
                                                                  ctx.stats.count(Step::callback_dup)));
  ctx.result.metric(
      "callbacks_per_s",
      static_cast<double>(ctx.stats.count(Step::callback) + ctx.stats.count(Step::callback_dup)) / storm_s);
  ctx.result.metric("duplicates_sent", static_cast<double>(st->duplicates));
  ctx.result.metric("deliveries_settled_after_s", settle_s);
  if (st->next < st->bills.size()) {
    ctx.result.notes.push_back("the storm ended at --duration before every bill was paid (" +
                               std::to_string(st->bills.size() - st->next) +
                               " left): give fewer --bills for a whole run");
  }
  return 0;
}

}  // namespace unipay::bench
