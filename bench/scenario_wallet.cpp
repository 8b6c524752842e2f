// wallet (issue 13 item 8): mixed credits, debits and holds (each hold then captured, in
// whole or in part, or voided) first on --accounts accounts, then, for as long again, all on
// one hot account; at --rate flows per second (open loop) or as fast as --players workers
// go (--rate max). The hot account's ops/s divided by the many accounts' ops/s of the same
// run shows whether one account's serialisation limits it (target ≥ 0.5). Afterwards every
// account's books are checked against the bench's own model and by the server's
// reconciliation: 0 lost, 0 duplicated, 0 invented, 0 mismatches.
#include <fmt/format.h>

#include <cstdio>

#include "bench/common.hpp"
#include "bench/wallet_traffic.hpp"
#include "bench/wallet_verify.hpp"

namespace unipay::bench {

namespace {

constexpr int64_t kSeedMinor = 1'000'000;  // each account starts with this, so debits mostly apply
constexpr auto kPacingTick = std::chrono::milliseconds(1);
constexpr uint64_t kMaxLaunchesPerTick = 2000;
constexpr auto kSetupBound = std::chrono::seconds(600);
constexpr int kSetupTries = 20;
constexpr auto kSetupRetryDelay = std::chrono::milliseconds(200);
constexpr const char* kUnit = "COIN";

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// PUT every account, `lanes` at a time; a busy answer (429, 5xx, none) is tried again
// later, as the API asks. False (reason on stderr) when one was refused.
bool create_accounts(Context& ctx, const WalletAccounts& accounts, int lanes) {
  struct Setup {
    size_t next = 0;
    size_t answered = 0;
    std::string failed;
    std::function<void(size_t, int)> put;  // (account, tries so far)
  };
  auto st = std::make_shared<Setup>();
  std::weak_ptr<Setup> weak = st;
  st->put = [&ctx, &accounts, weak](size_t index, int tries) {
    ctx.client.send(put_account_request(ctx.app, accounts.ids[index], kUnit),
                    [&ctx, &accounts, weak, index, tries](ClientResponse r) {
                      auto st = weak.lock();
                      if (!st) return;
                      if ((r.status == 0 || r.status == 429 || r.status >= 500) && tries + 1 < kSetupTries) {
                        ctx.stats.error("wallet_setup:" + answer_error_kind(r));
                        ctx.loop.after(kSetupRetryDelay, [weak, index, tries] {
                          if (auto st = weak.lock()) st->put(index, tries + 1);
                        });
                        return;
                      }
                      st->answered += 1;
                      if (r.status != 201 && r.status != 200 && st->failed.empty())
                        st->failed = answer_error_kind(r) + " " + r.body;
                      if (st->next < accounts.ids.size()) st->put(st->next++, 0);
                    });
  };
  for (int i = 0; i < lanes && st->next < accounts.ids.size(); ++i) st->put(st->next++, 0);
  bool done =
      ctx.loop.run_while([&] { return st->answered < accounts.ids.size(); }, Clock::now() + kSetupBound);
  if (!done || !st->failed.empty()) {
    std::fprintf(stderr, "unipay-bench: creating the wallet accounts: %s\n",
                 st->failed.empty() ? "not done in time" : st->failed.c_str());
    return false;
  }
  return true;
}

// One seed credit per account, `lanes` at a time (setup: not measured).
bool seed_accounts(Context& ctx, WalletTraffic& traffic, const WalletAccounts& accounts, int lanes) {
  auto next = std::make_shared<size_t>(0);
  traffic.on_flow_end([&traffic, &accounts, next] {
    if (*next < accounts.ids.size()) traffic.seed_credit((*next)++, kSeedMinor);
  });
  for (int i = 0; i < lanes && *next < accounts.ids.size(); ++i) traffic.seed_credit((*next)++, kSeedMinor);
  bool done = ctx.loop.run_while([&] { return traffic.flows_in_flight() > 0 || *next < accounts.ids.size(); },
                                 Clock::now() + kSetupBound);
  traffic.on_flow_end(nullptr);
  if (!done) std::fprintf(stderr, "unipay-bench: funding the wallet accounts: not done in time\n");
  return done;
}

// Open loop: the flows due by now start on each tick; beyond `cap` in flight they are skipped.
void pace(Context& ctx, WalletTraffic& traffic, bool hot, Clock::time_point start,
          std::shared_ptr<bool> loading, size_t cap) {
  auto started = std::make_shared<uint64_t>(0);
  ctx.loop.every(kPacingTick, [&ctx, &traffic, hot, start, loading, cap, started] {
    if (!*loading) return false;
    auto due = static_cast<uint64_t>(seconds_since(start) * ctx.options.rate);
    for (uint64_t n = 0; *started < due && n < kMaxLaunchesPerTick; ++n) {
      *started += 1;
      if (traffic.flows_in_flight() >= cap) {
        ctx.stats.error("bench:arrival_skipped_inflight_cap");
        continue;
      }
      traffic.start_flow(hot);
    }
    return true;
  });
}

struct Phase {
  uint64_t ops = 0;  // final answers within the load window
  double window_s = 0;
};

// One load phase of --duration seconds, then its stragglers (bounded by --drain-s).
Phase run_phase(Context& ctx, WalletTraffic& traffic, bool hot) {
  const Options& o = ctx.options;
  const std::string prefix = hot ? "hot_" : "many_";
  CpuWindow cpu(ctx);
  auto loading = std::make_shared<bool>(true);
  auto alive = std::make_shared<bool>(true);
  start_progress(
      ctx, hot ? Step::wallet_hot_op : Step::wallet_op,
      [&traffic] { return static_cast<int64_t>(traffic.flows_in_flight()); },
      [&traffic] { return "flows in flight " + std::to_string(traffic.flows_in_flight()); }, alive);
  const uint64_t before = traffic.counters().ops_final[hot ? 1 : 0];
  auto start = Clock::now();
  if (o.rate_max) {
    traffic.on_flow_end([&traffic, loading, hot] {
      if (*loading) traffic.start_flow(hot);
    });
    for (int i = 0; i < o.players; ++i) traffic.start_flow(hot);
  } else {
    size_t cap = o.max_inflight > 0 ? static_cast<size_t>(o.max_inflight) : ctx.max_connections / 2;
    pace(ctx, traffic, hot, start, loading, cap);
  }
  ctx.loop.run_while([] { return true; }, start + seconds(o.duration_s));
  *loading = false;
  Phase phase{traffic.counters().ops_final[hot ? 1 : 0] - before, seconds_since(start)};
  ctx.loop.run_while([&] { return traffic.requests_in_flight() > 0; }, Clock::now() + seconds(o.drain_s));
  traffic.on_flow_end(nullptr);
  *alive = false;
  end_progress(ctx);
  const uint64_t all_ops = traffic.counters().ops_final[hot ? 1 : 0] - before;
  cpu.finish(ctx, static_cast<double>(all_ops), "op", prefix);
  ctx.result.metric(prefix + "ops", static_cast<double>(phase.ops));
  ctx.result.metric(prefix + "ops_per_s", static_cast<double>(phase.ops) / phase.window_s);
  return phase;
}

void traffic_metrics(Context& ctx, const WalletTraffic& traffic, const Phase& many, const Phase& hot) {
  const WalletCounters& c = traffic.counters();
  double many_rate = static_cast<double>(many.ops) / many.window_s;
  double hot_rate = static_cast<double>(hot.ops) / hot.window_s;
  ctx.result.metric("wallet_ops_per_s",
                    static_cast<double>(many.ops + hot.ops) / (many.window_s + hot.window_s));
  ctx.result.metric("hot_to_many_ops_ratio", many_rate > 0 ? hot_rate / many_rate : 0);
  for (int k = 0; k < 5; ++k) {
    ctx.result.metric(fmt::format("applied_{}", wallet_op_name(static_cast<WalletOpKind>(k))),
                      static_cast<double>(c.ops_by_kind[k]));
  }
  ctx.result.metric("refused_insufficient_balance", static_cast<double>(c.refused_insufficient));
  ctx.result.metric("replays_sent", static_cast<double>(c.replays_sent));
}

}  // namespace

int run_wallet(Context& ctx) {
  const Options& o = ctx.options;
  WalletAccounts accounts;  // outlives `traffic`, whose late answers are ignored once it is gone
  for (int i = 0; i < o.accounts; ++i) accounts.ids.push_back(fmt::format("w{}", i));
  accounts.ids.emplace_back("hot");
  accounts.models.resize(accounts.ids.size());
  std::fprintf(stderr, "unipay-bench: creating and funding %zu wallet accounts\n", accounts.ids.size());
  if (!create_accounts(ctx, accounts, o.connections)) return 1;
  WalletTraffic traffic(ctx, accounts, o.seed);
  if (!seed_accounts(ctx, traffic, accounts, o.connections)) return 1;
  ctx.result.headline = Step::wallet_op;
  Phase many = run_phase(ctx, traffic, false);
  Phase hot = run_phase(ctx, traffic, true);
  traffic_metrics(ctx, traffic, many, hot);
  ctx.result.metric("accounts", static_cast<double>(o.accounts));
  if (traffic.requests_in_flight() > 0) {
    ctx.result.notes.push_back(std::to_string(traffic.requests_in_flight()) +
                               " request(s) still unanswered after --drain-s: their accounts may not verify");
  }
  verify_wallets(ctx, accounts, std::max(60.0, o.drain_s));
  return 0;
}

}  // namespace unipay::bench
