// lifecycle: create → long poll → callback → delivery → result, at a fixed arrival rate
// (open loop: arrivals do not wait for the server) or as fast as it goes (--rate max: a
// closed loop of --players). outage: the same load while the game server is down for
// --game-down-s seconds from --game-down-at-s; reports the backlog of paid, undelivered
// bills when it comes back and how long the server takes to deliver them all.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <optional>

#include "bench/channel_probe.hpp"
#include "bench/common.hpp"
#include "bench/players.hpp"
#include "bench/provider_payer.hpp"
#include "bench/spawn.hpp"

namespace unipay::bench {

namespace {

constexpr auto kPacingTick = std::chrono::milliseconds(1);
constexpr uint64_t kMaxLaunchesPerTick = 2000;     // a stalled loop catches up in bounded steps
constexpr size_t kOverloadPlayersInFlight = 2048;  // see players_in_flight_cap

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

PlayerConfig player_config(const Options& o, bool outage) {
  PlayerConfig c;
  c.think_ms = o.think_ms;
  c.poll_timeout_s = o.longpoll_timeout_s;
  c.until_delivered = o.until == "delivered";
  // An outage keeps polls waiting past the down time; without one, a poll that times out
  // twice means something is wrong.
  double waiting_s = outage ? o.game_down_s + o.drain_s : 0;
  c.max_polls = 3 + static_cast<int>(std::ceil(waiting_s / o.longpoll_timeout_s));
  return c;
}

// Open loop: on each tick, start the arrivals due by now; those over the in-flight cap are
// skipped and counted (the bench, or the server, cannot keep up).
// The ticker outlives this scenario's locals; it stops at the first tick after *loading
// turned false, before touching `players`.
void pace(Context& ctx, Players& players, Clock::time_point start, std::shared_ptr<bool> loading, size_t cap,
          double rate) {
  auto skipped = std::make_shared<uint64_t>(0);
  ctx.loop.every(kPacingTick, [&ctx, &players, start, loading, cap, skipped, rate] {
    if (!*loading) return false;
    auto due = static_cast<uint64_t>(seconds_since(start) * rate);
    for (uint64_t n = 0; players.started() + *skipped < due && n < kMaxLaunchesPerTick; ++n) {
      if (players.in_flight() >= cap) {
        *skipped += 1;
        ctx.stats.error("bench:arrival_skipped_inflight_cap");
        continue;
      }
      players.start_one();
    }
    return true;
  });
}

// The open loop's client population: arrivals beyond it are skipped and counted. An
// overload's admitted latency is at least the requests outstanding ÷ the requests answered
// per second (Little's law), and a server cannot refuse a request it has not read yet, so
// the overload runs a stated population (kOverloadPlayersInFlight), not one that follows the
// host's fd limit; --max-inflight sets it.
size_t players_in_flight_cap(const Context& ctx, bool overload) {
  const size_t budget = ctx.max_connections / 2;
  if (ctx.options.max_inflight > 0) return static_cast<size_t>(ctx.options.max_inflight);
  return overload ? std::min(budget, kOverloadPlayersInFlight) : budget;
}

// Outage figures, from when each bill was paid and when the game server acknowledged it.
void outage_metrics(Context& ctx, const std::vector<PaidBill>& paid, Clock::time_point start) {
  const Options& o = ctx.options;
  auto down_from = start + seconds(o.game_down_at_s);
  auto recovered = down_from + seconds(o.game_down_s);
  uint64_t backlog = 0;
  uint64_t undrained = 0;
  double drain_s = 0;
  for (const PaidBill& b : paid) {
    auto acked = ctx.game.acknowledged_at(b.bill_id);
    // Backlog at recovery: paid before it, not yet delivered when the game came back.
    if (b.paid_at < recovered && (!acked || *acked >= recovered)) {
      backlog += 1;
      if (acked) drain_s = std::max(drain_s, std::chrono::duration<double>(*acked - recovered).count());
      if (!acked) undrained += 1;
    }
  }
  ctx.result.metric("outage_down_s", o.game_down_s);
  ctx.result.metric("backlog_at_recovery_bills", static_cast<double>(backlog));
  ctx.result.metric("drain_after_recovery_s", drain_s);
  ctx.result.metric("backlog_still_undelivered", static_cast<double>(undrained));
  if (undrained > 0) {
    ctx.result.notes.push_back(
        "the backlog had not drained when the bench stopped waiting: drain_after_recovery_s is a "
        "lower bound (give a longer --drain-s)");
  }
  ctx.result.metric("game_refused_while_down", static_cast<double>(ctx.game.counters().refused_while_down));
}

// How a pass loads the server: a closed loop of --players (max), or arrivals at `rate`.
// duration_s 0: --duration. warmup: the overload scenario's warm-up pass (watches nothing).
struct PassLoad {
  bool max = false;
  double rate = 0;
  double duration_s = 0;
  bool warmup = false;
  long cold_rss_kib = -1;  // overload: the fresh server's RSS, read before the warm-up
};

// One pass of the load through `channel`. With several channels each pass counts the game
// server's acknowledgements from its own start.
void run_pass(Context& ctx, const std::string& channel, PassLoad load) {
  const Options& o = ctx.options;
  const bool outage = o.scenario == "outage";
  const bool overload = o.scenario == "overload" && !load.warmup;
  PlayerConfig config = player_config(o, outage);
  config.channel = channel;
  // Closed loop: a refused player waits out Retry-After like a game client (an open loop's
  // arrivals come regardless, so there a refusal simply ends the player).
  config.honour_retry_after = load.max;
  Players players(ctx, config);
  std::optional<OverloadWatch> overload_watch;
  if (overload) overload_watch.emplace(ctx, load.cold_rss_kib);
  // A player holds a long-poll connection and, while paying, a second one.
  size_t cap = players_in_flight_cap(ctx, overload);
  const uint64_t acked_before = ctx.game.counters().acknowledged;
  auto owed = [&ctx, &players, acked_before] {
    return static_cast<int64_t>(players.paid().size()) -
           static_cast<int64_t>(ctx.game.counters().acknowledged - acked_before);
  };
  CpuWindow cpu(ctx);
  auto start = Clock::now();
  const double start_s = ctx.stats.elapsed_s();
  ctx.game.set_load_start(start);
  auto loading = std::make_shared<bool>(true);
  auto alive = std::make_shared<bool>(true);
  auto gauge = [&players, outage, owed]() -> int64_t {
    return outage ? owed() : static_cast<int64_t>(players.in_flight());
  };
  auto extra = [&ctx, &players] {
    auto c = ctx.client.counters();
    return "in flight " + std::to_string(players.in_flight()) + " | conns " + std::to_string(c.open) +
           (ctx.game.down_now() ? " | GAME DOWN" : "");
  };
  ctx.delivery_backlog = owed;
  start_progress(ctx, Step::lifecycle, gauge, extra, alive);
  ctx.result.headline = Step::lifecycle;
  if (load.max) {
    players.on_end([&players, loading] {
      if (*loading) players.start_one();
    });
    for (int i = 0; i < o.players; ++i) players.start_one();
  } else {
    pace(ctx, players, start, loading, cap, load.rate);
  }
  auto load_end = start + seconds(load.duration_s > 0 ? load.duration_s : o.duration_s);
  ctx.loop.run_while([] { return true; }, load_end);
  *loading = false;
  players.stop_retrying();
  double load_s = seconds_since(start);
  // The rate counts lifecycles completed within the load window, not the drain after it.
  uint64_t completed_in_window = players.completed();
  ctx.loop.run_while([&] { return players.in_flight() > 0; }, Clock::now() + seconds(o.drain_s));
  *alive = false;
  end_progress(ctx);
  ctx.delivery_backlog = nullptr;
  backlog_metrics(ctx, start_s, start_s + load_s);
  cpu.finish(ctx, static_cast<double>(players.completed()), "lifecycle");
  players.account_unfinished();
  settle_deliveries(ctx, players.paid(), std::max(1.0, o.drain_s - (seconds_since(start) - load_s)),
                    acked_before);
  count_duplicates(ctx);
  ctx.result.metric("load_s", load_s);
  ctx.result.metric("players_started", static_cast<double>(players.started()));
  ctx.result.metric("lifecycles_completed", static_cast<double>(players.completed()));
  ctx.result.metric("lifecycles_per_s", static_cast<double>(completed_in_window) / load_s);
  ctx.result.metric("bills_paid", static_cast<double>(players.paid().size()));
  if (load.max) {
    ctx.result.metric("creates_retry_after_waits", static_cast<double>(players.retry_after_waits()));
  } else {
    ctx.result.metric("offered_rate_per_s", load.rate);
    ctx.result.metric("players_in_flight_cap", static_cast<double>(cap));
  }
  if (outage) outage_metrics(ctx, players.paid(), start);
  if (overload) overload_watch->finish(load_end);
}

const double* metric_of(const Context& ctx, const std::string& name) {
  for (const auto& [key, value] : ctx.result.metrics) {
    if (key == name) return &value;
  }
  return nullptr;
}

// The pass's own latencies: what the steps' histograms gained during it.
void pass_latencies(Context& ctx, const std::array<Histogram, kSteps>& before, const std::string& prefix) {
  for (Step step : {Step::create, Step::callback, Step::wake, Step::lifecycle, Step::delivery}) {
    Histogram h = ctx.stats.step(step).all;
    h.subtract(before[static_cast<size_t>(step)]);
    if (h.count() == 0) continue;
    ctx.result.metric(prefix + step_name(step) + "_p50_ms", static_cast<double>(h.quantile_us(0.5)) / 1000.0);
    ctx.result.metric(prefix + step_name(step) + "_p99_ms",
                      static_cast<double>(h.quantile_us(0.99)) / 1000.0);
  }
}

// Each channel's rate and CPU per lifecycle as a ratio to the sandbox pass of the same run.
void channel_ratios(Context& ctx) {
  const std::vector<std::string>& channels = ctx.options.channels;
  for (size_t i = 1; i < channels.size(); ++i) {
    for (const char* name :
         {"lifecycles_per_s", "cpu_server_us_per_lifecycle", "cpu_postgres_us_per_lifecycle",
          "cpu_bench_us_per_lifecycle", "lifecycle_p50_ms", "lifecycle_p99_ms"}) {
      const double* reference = metric_of(ctx, channels[0] + "_" + name);
      const double* value = metric_of(ctx, channels[i] + "_" + name);
      if (reference && value && *reference > 0)
        ctx.result.metric(channels[i] + "_to_" + channels[0] + "_" + name, *value / *reference);
    }
  }
}

// A pass whose figures are named `prefix` + name, with its own latencies (p50/p99 of create,
// callback, wake, lifecycle, delivery).
void run_named_pass(Context& ctx, const std::string& channel, PassLoad load, const std::string& prefix) {
  const size_t first_metric = ctx.result.metrics.size();
  std::array<Histogram, kSteps> before;
  for (int i = 0; i < kSteps; ++i) before[static_cast<size_t>(i)] = ctx.stats.step(static_cast<Step>(i)).all;
  run_pass(ctx, channel, load);
  for (size_t i = first_metric; i < ctx.result.metrics.size(); ++i)
    ctx.result.metrics[i].first = prefix + ctx.result.metrics[i].first;
  pass_latencies(ctx, before, prefix);
}

// --rate half-max: the latencies a user sees at a sustainable load, measured at half the
// rate the same server just reached (one run, so both passes share the host's state).
int run_half_max(Context& ctx) {
  std::fprintf(stderr, "unipay-bench: pass 1 of 2: --rate max, from %s UTC\n", utc_time_of_day().c_str());
  run_named_pass(ctx, "sandbox", {true, 0}, "max_");
  const double* max_rate = metric_of(ctx, "max_lifecycles_per_s");
  if (!max_rate || *max_rate < 2) {
    std::fprintf(stderr, "unipay-bench: the max pass completed too few lifecycles for a half-max pass\n");
    return 2;
  }
  const double half = *max_rate / 2;
  std::fprintf(stderr, "unipay-bench: pass 2 of 2: --rate %.0f (half of %.0f), from %s UTC\n", half,
               *max_rate, utc_time_of_day().c_str());
  run_named_pass(ctx, "sandbox", {false, half}, "half_max_");
  ctx.result.metric("lifecycles_per_s", *max_rate);  // the headline: what the baselines are compared with
  return 0;
}

// overload: the RSS of the fresh server, then a warm-up pass at a moderate fixed rate (its
// figures named warmup_...), then the overload itself, whose "before" RSS is now a server in
// service rather than one that has not yet touched most of its code.
int run_overload(Context& ctx) {
  const Options& o = ctx.options;
  PassLoad load{o.rate_max, o.rate};
  load.cold_rss_kib = read_rss_kib(ctx.server_pid);
  if (o.warmup_s > 0) {
    std::fprintf(stderr, "unipay-bench: warm-up: %.0f s at %.0f lifecycles/s\n", o.warmup_s, o.warmup_rate);
    run_named_pass(ctx, o.channels[0], {false, o.warmup_rate, o.warmup_s, true}, "warmup_");
  }
  run_pass(ctx, o.channels[0], load);
  return 0;
}

}  // namespace

int run_lifecycle(Context& ctx) {
  const std::vector<std::string>& channels = ctx.options.channels;
  if (ctx.options.rate_half_max) return run_half_max(ctx);
  if (ctx.options.scenario == "overload") return run_overload(ctx);
  if (channels.size() == 1) {
    run_pass(ctx, channels[0], {ctx.options.rate_max, ctx.options.rate});
    return 0;
  }
  // Several channels: one pass each, its figures named after it (sandbox_lifecycles_per_s, ...).
  for (const std::string& channel : channels) {
    if (simulated_channel(channel) && !probe_channel(ctx, channel)) return 2;
  }
  for (const std::string& channel : channels) {
    std::fprintf(stderr, "unipay-bench: lifecycle pass through %s\n", channel.c_str());
    run_named_pass(ctx, channel, {ctx.options.rate_max, ctx.options.rate}, channel + "_");
  }
  channel_ratios(ctx);
  return 0;
}

}  // namespace unipay::bench
