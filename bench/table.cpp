// The human-readable summary printed at the end of every run.
#include <cstdio>

#include "bench/report.hpp"

namespace unipay::bench {

namespace {

double ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

void print_steps(const Stats& stats) {
  std::printf("%-14s %9s %9s %9s %9s %9s %9s %9s\n", "step", "count", "per_s", "p50_ms", "p90_ms", "p99_ms",
              "p99.9_ms", "max_ms");
  for (int i = 0; i < kSteps; ++i) {
    const StepTotals& s = stats.step(static_cast<Step>(i));
    if (s.all.count() == 0) continue;
    std::printf("%-14s %9llu %9.0f %9.2f %9.2f %9.2f %9.2f %9.2f\n", step_name(static_cast<Step>(i)),
                static_cast<unsigned long long>(s.all.count()), s.per_s(), ms(s.all.quantile_us(0.5)),
                ms(s.all.quantile_us(0.9)), ms(s.all.quantile_us(0.99)), ms(s.all.quantile_us(0.999)),
                ms(s.all.max_us()));
  }
}

void print_baseline(const Context& ctx, const BaselineResult& b) {
  if (!b.ran) return;
  std::printf("baseline:\n");
  if (b.http_per_s > 0) {
    std::printf(
        "  baseline_http            %10.0f req/s (%d io thread(s), %d connections, p50 %.2f ms, p99 %.2f "
        "ms)\n",
        b.http_per_s, b.http_threads, b.http_connections, b.http_p50_ms, b.http_p99_ms);
    if (b.http_server_cpu_us_per_request > 0)
      std::printf("  baseline_http CPU        %10.1f us per request in the server, %.1f in this client\n",
                  b.http_server_cpu_us_per_request, b.http_client_cpu_us_per_request);
  }
  if (b.pg.one_connection_per_s > 0)
    std::printf("  pg commits, 1 conn       %10.0f /s\n", b.pg.one_connection_per_s);
  if (b.pg.sixteen_connections_per_s > 0)
    std::printf("  pg commits, 16 conns     %10.0f /s\n", b.pg.sixteen_connections_per_s);
  if (!b.http_error.empty()) std::printf("  (%s)\n", b.http_error.c_str());
  if (!b.pg.error.empty()) std::printf("  (%s)\n", b.pg.error.c_str());
  for (const auto& [name, value] : ratios(ctx, b)) std::printf("  ratio %-50s %8.3f\n", name.c_str(), value);
}

}  // namespace

void print_table(const Context& ctx, const BaselineResult& base, const RunInfo& info) {
  std::printf("\nunipay-bench %s against %s%s, %.1f s in all\n", ctx.options.scenario.c_str(),
              info.target.c_str(), info.spawned ? " (spawned)" : "", info.elapsed_s);
  std::printf("load average before %s, after %s\n", info.loadavg_before.c_str(), info.loadavg_after.c_str());
  print_steps(ctx.stats);
  std::printf("metrics:\n");
  for (const auto& [name, value] : ctx.result.metrics) std::printf("  %-46s %14.2f\n", name.c_str(), value);
  std::printf("errors:%s\n", ctx.stats.errors().empty() ? " none" : "");
  for (const auto& [kind, n] : ctx.stats.errors())
    std::printf("  %-50s %10llu\n", kind.c_str(), static_cast<unsigned long long>(n));
  const Correctness& c = ctx.stats.correctness;
  std::printf(
      "correctness: bills_lost %llu, deliveries_duplicated %llu, waiters_never_answered %llu, "
      "callbacks_wrongly_refused %llu%s\n",
      static_cast<unsigned long long>(c.bills_lost), static_cast<unsigned long long>(c.deliveries_duplicated),
      static_cast<unsigned long long>(c.waiters_never_answered),
      static_cast<unsigned long long>(c.callbacks_wrongly_refused), c.total() ? "  <-- FAILED" : "");
  if (ctx.options.scenario == "wallet") {
    std::printf("wallet correctness:");
    for (const auto& [name, value] : wallet_correctness(c))
      std::printf(" %s %llu", name.c_str(), static_cast<unsigned long long>(value));
    std::printf("%s\n", c.wallet_total() ? "  <-- FAILED" : "");
  }
  std::printf(
      "game server: %llu requests, %llu bills acknowledged, %llu duplicates, %llu injected failures, "
      "%llu refused while down\n",
      static_cast<unsigned long long>(info.game.requests),
      static_cast<unsigned long long>(info.game.acknowledged),
      static_cast<unsigned long long>(info.game.duplicates),
      static_cast<unsigned long long>(info.game.injected_failures),
      static_cast<unsigned long long>(info.game.refused_while_down));
  std::printf("client: %llu connects, %d source address(es), %llu stale keep-alive retries\n",
              static_cast<unsigned long long>(info.client.connects), info.client.source_addresses,
              static_cast<unsigned long long>(info.client.retries));
  print_baseline(ctx, base);
  for (const auto& n : ctx.result.notes) std::printf("note: %s\n", n.c_str());
  std::fflush(stdout);
}

}  // namespace unipay::bench
