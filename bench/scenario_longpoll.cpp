// longpoll: N waiters held open at once, one per bill (GET .../result?timeout=60&until=paid
// with the bill's client token). Reports the server's RSS before and with the waiters (and
// bytes per waiter), then pays every bill and checks that every waiter is answered with its
// bill paid, not timed out.
#include <cstdio>

#include "bench/common.hpp"
#include "bench/spawn.hpp"

namespace unipay::bench {

namespace {

constexpr int kPollTimeoutS = 60;   // the longest the server allows
constexpr int kOpensPerTick = 100;  // 10 ms ticks: 10,000 new waiters/s
constexpr auto kOpenTick = std::chrono::milliseconds(10);
constexpr auto kParkBound = std::chrono::seconds(40);  // all waiters parked within this
constexpr auto kCreateBound = std::chrono::seconds(600);

struct Waiters {
  std::vector<CreatedBill> bills;
  std::vector<Clock::time_point> paid_at;  // epoch: not paid yet
  std::vector<char> answered;              // answered with the bill paid
  size_t opened = 0;
  size_t answered_ok = 0;
  size_t answers = 0;  // final answers (a re-poll's first answer is not one)
  size_t repolls = 0;
  size_t callbacks_sent = 0;
  size_t callbacks_done = 0;
  std::vector<PaidBill> paid;
};

void open_one(Context& ctx, const std::shared_ptr<Waiters>& w, size_t i);

void on_poll(Context& ctx, const std::shared_ptr<Waiters>& w, size_t i, const ClientResponse& r) {
  PollAnswer answer;
  if (!parse_poll_answer(r, answer)) {
    w->answers += 1;
    return ctx.stats.error("poll:" + answer_error_kind(r));
  }
  ctx.stats.record(Step::longpoll, r.latency());
  if (answer.timed_out && w->paid_at[i] == Clock::time_point() && w->repolls < w->bills.size()) {
    // Its 60 s ran out before the (slow) storm reached its bill: wait again, once per waiter
    // on average at most. Not an error: the waiter was answered, with timed_out.
    w->repolls += 1;
    ctx.stats.error("poll:repolled_before_payment");
    return open_one(ctx, w, i);
  }
  w->answers += 1;
  if (answer.timed_out || answer.state == "created") return ctx.stats.error("poll:timed_out");
  w->answered[i] = 1;
  w->answered_ok += 1;
  if (w->paid_at[i] != Clock::time_point()) {
    ctx.stats.record(Step::wake, std::max(r.done_at - w->paid_at[i], Clock::duration::zero()));
  } else {
    ctx.stats.record(Step::wake, Clock::duration::zero());  // answered before the callback's answer was read
  }
}

void open_one(Context& ctx, const std::shared_ptr<Waiters>& w, size_t i) {
  ctx.client.send(longpoll_request(w->bills[i], kPollTimeoutS, "paid"),
                  [&ctx, w, i](ClientResponse r) { on_poll(ctx, w, i, r); });
}

void open_waiters(Context& ctx, const std::shared_ptr<Waiters>& w) {
  ctx.loop.every(kOpenTick, [&ctx, w] {
    for (int n = 0; n < kOpensPerTick && w->opened < w->bills.size(); ++n) open_one(ctx, w, w->opened++);
    return w->opened < w->bills.size();
  });
}

// unipay_longpolls_open from /metrics, or -1.
void read_open_longpolls(Context& ctx, const std::shared_ptr<int64_t>& out) {
  ClientRequest r;
  r.target = "/metrics";
  ctx.client.send(std::move(r), [out](ClientResponse a) {
    constexpr std::string_view kName = "\nunipay_longpolls_open ";
    size_t at = a.body.find(kName);
    *out = (a.status == 200 && at != std::string::npos) ? std::atoll(a.body.c_str() + at + kName.size()) : -1;
  });
}

void pay_all(Context& ctx, const std::shared_ptr<Waiters>& w) {
  auto next = std::make_shared<std::function<void()>>();
  *next = [&ctx, w, weak = std::weak_ptr<std::function<void()>>(next)] {
    if (w->callbacks_sent >= w->bills.size()) return;
    size_t i = w->callbacks_sent++;
    const std::string& bill_id = w->bills[i].bill_id;
    ctx.client.send(callback_request(ctx.app, bill_id, "t" + bill_id), [&ctx, w, i, weak](ClientResponse r) {
      w->callbacks_done += 1;
      if (r.status == 200) {
        ctx.stats.record(Step::callback, r.latency());
        w->paid_at[i] = r.done_at;
        w->paid.push_back(PaidBill{w->bills[i].bill_id, r.done_at});
      } else {
        ctx.stats.error("callback:" + answer_error_kind(r));
        if (r.status != 0 && r.status != 429 && r.status < 500)
          ctx.stats.correctness.callbacks_wrongly_refused += 1;
      }
      if (auto f = weak.lock()) (*f)();
    });
  };
  for (int i = 0; i < ctx.options.connections; ++i) (*next)();
  ctx.loop.run_while([&] { return w->callbacks_done < w->bills.size(); },
                     Clock::now() + std::chrono::seconds(120));
}

// Opens every waiter, then waits (bounded) until the server's unipay_longpolls_open gauge
// counts them all. Returns the last reading of the gauge (-1: never read).
int64_t park_waiters(Context& ctx, const std::shared_ptr<Waiters>& w, Clock::time_point deadline) {
  open_waiters(ctx, w);
  auto parked = std::make_shared<int64_t>(-1);
  ctx.loop.run_while(
      [&] {
        if (w->opened == w->bills.size() && ctx.client.counters().queued == 0)
          read_open_longpolls(ctx, parked);
        ctx.loop.run_for(std::chrono::milliseconds(200));
        return *parked < static_cast<int64_t>(w->bills.size());
      },
      deadline);
  return *parked;
}

void rss_metrics(Context& ctx, long before_kib, long with_kib, size_t waiters) {
  if (before_kib < 0 || with_kib < 0) {
    ctx.result.notes.push_back("server RSS unknown: give --server-pid with --target");
    return;
  }
  ctx.result.metric("server_rss_before_kib", static_cast<double>(before_kib));
  ctx.result.metric("server_rss_with_waiters_kib", static_cast<double>(with_kib));
  ctx.result.metric("server_rss_with_waiters_mb", static_cast<double>(with_kib) / 1024.0);
  ctx.result.metric("bytes_per_waiter",
                    static_cast<double>(with_kib - before_kib) * 1024.0 / static_cast<double>(waiters));
}

}  // namespace

int run_longpoll(Context& ctx) {
  const Options& o = ctx.options;
  if (static_cast<size_t>(o.waiters + o.connections) + 16 > ctx.max_connections) {
    std::fprintf(stderr, "unipay-bench: %d waiters need more connections than the fd limit allows (%zu)\n",
                 o.waiters, ctx.max_connections);
    return 2;
  }
  auto w = std::make_shared<Waiters>();
  std::fprintf(stderr, "unipay-bench: creating %d bills, one per waiter\n", o.waiters);
  w->bills = create_bills(ctx, o.waiters, o.connections, Clock::now() + kCreateBound);
  w->paid_at.assign(w->bills.size(), Clock::time_point());
  w->answered.assign(w->bills.size(), 0);
  ctx.result.headline = Step::longpoll;
  long rss_before = read_rss_kib(ctx.server_pid);
  auto alive = std::make_shared<bool>(true);
  start_progress(
      ctx, Step::longpoll, nullptr,
      [&ctx, w] {
        return "waiters opened " + std::to_string(w->opened) + " | answered " +
               std::to_string(w->answered_ok) + " | conns " + std::to_string(ctx.client.counters().open);
      },
      alive);
  auto open_start = Clock::now();
  ctx.game.set_load_start(open_start);
  int64_t parked = park_waiters(ctx, w, open_start + kParkBound);
  double open_s = seconds_since(open_start);
  ctx.loop.run_for(std::chrono::seconds(1));  // let the server's allocator settle
  long rss_with = read_rss_kib(ctx.server_pid);
  auto pay_start = Clock::now();
  pay_all(ctx, w);
  double pay_s = seconds_since(pay_start);
  ctx.loop.run_while([&] { return w->answers < w->bills.size(); }, Clock::now() + std::chrono::seconds(30));
  *alive = false;
  end_progress(ctx);
  for (size_t i = 0; i < w->bills.size(); ++i) {
    if (w->paid_at[i] != Clock::time_point() && !w->answered[i])
      ctx.stats.correctness.waiters_never_answered += 1;
  }
  settle_deliveries(ctx, w->paid, o.drain_s);
  count_duplicates(ctx);
  ctx.result.metric("waiters", static_cast<double>(w->bills.size()));
  ctx.result.metric("waiters_parked_by_server", static_cast<double>(parked));
  ctx.result.metric("open_s", open_s);
  ctx.result.metric("pay_s", pay_s);
  ctx.result.metric("waiters_answered_paid", static_cast<double>(w->answered_ok));
  rss_metrics(ctx, rss_before, rss_with, w->bills.size());
  return 0;
}

}  // namespace unipay::bench
