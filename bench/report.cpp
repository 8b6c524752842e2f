#include "bench/report.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>

#include "net/json.hpp"

namespace unipay::bench {

namespace {

double ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

const double* find_metric(const Context& ctx, const std::string& name) {
  for (const auto& [key, value] : ctx.result.metrics) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void write_steps(json::Writer& w, const Stats& stats) {
  w.key("steps").begin_object();
  for (int i = 0; i < kSteps; ++i) {
    const StepTotals& s = stats.step(static_cast<Step>(i));
    if (s.all.count() == 0) continue;
    w.key(step_name(static_cast<Step>(i))).begin_object();
    w.key("count").integer(static_cast<int64_t>(s.all.count()));
    w.key("per_s").raw(num(s.per_s()));
    w.key("p50_ms").raw(num(ms(s.all.quantile_us(0.50))));
    w.key("p90_ms").raw(num(ms(s.all.quantile_us(0.90))));
    w.key("p99_ms").raw(num(ms(s.all.quantile_us(0.99))));
    w.key("p99_9_ms").raw(num(ms(s.all.quantile_us(0.999))));
    w.key("max_ms").raw(num(ms(s.all.max_us())));
    w.key("mean_ms").raw(num(s.all.mean_us() / 1000.0));
    w.end_object();
  }
  w.end_object();
}

void write_baseline(json::Writer& w, const Context& ctx, const BaselineResult& b) {
  w.key("baseline");
  if (!b.ran) {
    w.null();
    return;
  }
  auto positive = [](double v) { return v > 0 ? num(v) : std::string("null"); };
  w.begin_object();
  w.key("baseline_http_per_s").raw(positive(b.http_per_s));
  w.key("baseline_http_p99_ms").raw(positive(b.http_p99_ms));
  w.key("baseline_http_server_cpu_us_per_request").raw(positive(b.http_server_cpu_us_per_request));
  w.key("baseline_http_client_cpu_us_per_request").raw(positive(b.http_client_cpu_us_per_request));
  w.key("baseline_http_io_threads").integer(b.http_threads);
  w.key("baseline_http_connections").integer(b.http_connections);
  w.key("pg_commits_1conn_per_s").raw(positive(b.pg.one_connection_per_s));
  w.key("pg_commits_16conn_per_s").raw(positive(b.pg.sixteen_connections_per_s));
  w.key("errors").begin_array();
  if (!b.http_error.empty()) w.string(b.http_error);
  if (!b.pg.error.empty()) w.string(b.pg.error);
  w.end_array();
  w.key("ratios").begin_object();
  for (const auto& [name, value] : ratios(ctx, b)) w.key(name).raw(num(value));
  w.end_object();
  w.end_object();
}

void write_series(json::Writer& w, const Stats& stats) {
  w.key("series").begin_array();
  for (const SeriesPoint& p : stats.series()) {
    w.begin_object().key("t_s").raw(num(p.t_s));
    for (int i = 0; i < kSteps; ++i) {
      if (stats.count(static_cast<Step>(i)) == 0) continue;
      std::string name = step_name(static_cast<Step>(i));
      w.key(name + "_per_s").integer(static_cast<int64_t>(p.count[static_cast<size_t>(i)]));
      w.key(name + "_p99_ms").raw(num(ms(p.p99_us[static_cast<size_t>(i)])));
    }
    w.key("errors").integer(static_cast<int64_t>(p.errors));
    if (p.gauge >= 0) w.key("gauge").integer(p.gauge);
    if (p.delivery_backlog >= 0) w.key("delivery_backlog").integer(p.delivery_backlog);
    w.end_object();
  }
  w.end_array();
}

void write_run(json::Writer& w, const Context& ctx, const RunInfo& info) {
  const Options& o = ctx.options;
  w.key("scenario").string(o.scenario);
  w.key("target").string(info.target);
  w.key("spawned").boolean(info.spawned);
  w.key("server_args").begin_array();
  for (const auto& a : info.server_args) w.string(a);
  w.end_array();
  w.key("options").begin_object();
  const std::string rate = o.rate_half_max ? "\"half-max\"" : o.rate_max ? "\"max\"" : num(o.rate);
  w.key("rate").raw(rate).key("prefill").integer(o.prefill);
  w.key("duration_s").raw(num(o.duration_s)).key("think_ms").integer(o.think_ms);
  w.key("players").integer(o.players).key("connections").integer(o.connections);
  w.key("waiters").integer(o.waiters).key("bills").integer(o.bills);
  w.key("game_fail_rate").raw(num(o.game_fail_rate)).key("game_down_at_s").raw(num(o.game_down_at_s));
  w.key("game_down_s").raw(num(o.game_down_s)).key("seed").integer(static_cast<int64_t>(o.seed));
  w.key("accounts").integer(o.accounts).key("channels").begin_array();
  for (const auto& channel : o.channels) w.string(channel);
  w.end_array();
  w.end_object();
  w.key("elapsed_s").raw(num(info.elapsed_s));
  w.key("machine").begin_object().key("cpus").integer(
      static_cast<int64_t>(std::thread::hardware_concurrency()));
  w.key("loadavg_before")
      .string(info.loadavg_before)
      .key("loadavg_after")
      .string(info.loadavg_after)
      .end_object();
  w.key("headline_per_s").raw(num(headline_rate(ctx)));
}

}  // namespace

std::vector<std::pair<std::string, uint64_t>> wallet_correctness(const Correctness& c) {
  return {{"wallet_ops_lost", c.wallet_ops_lost},
          {"wallet_ops_duplicated", c.wallet_ops_duplicated},
          {"wallet_entries_unexpected", c.wallet_entries_unexpected},
          {"wallet_books_mismatches", c.wallet_books_mismatches},
          {"wallet_replays_differing", c.wallet_replays_differing},
          {"wallet_ops_unresolved", c.wallet_ops_unresolved},
          {"wallet_reconciliation_mismatches", c.wallet_reconciliation_mismatches}};
}

std::string read_loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

namespace {

// The scenario's headline figure: (metric name, value), or ("", -1).
std::pair<std::string, double> headline(const Context& ctx) {
  for (const char* name : {"lifecycles_per_s", "callbacks_per_s", "wallet_ops_per_s"}) {
    if (const double* v = find_metric(ctx, name)) return {name, *v};
  }
  return {"", -1};
}

}  // namespace

double headline_rate(const Context& ctx) { return headline(ctx).second; }

std::vector<std::pair<std::string, double>> ratios(const Context& ctx, const BaselineResult& b) {
  std::vector<std::pair<std::string, double>> out;
  auto [what, rate] = headline(ctx);
  if (rate < 0) return out;
  if (b.pg.sixteen_connections_per_s > 0)
    out.emplace_back(what + "/pg_commits_16conn_per_s", rate / b.pg.sixteen_connections_per_s);
  if (b.pg.one_connection_per_s > 0)
    out.emplace_back(what + "/pg_commits_1conn_per_s", rate / b.pg.one_connection_per_s);
  if (b.http_per_s > 0) out.emplace_back(what + "/baseline_http_per_s", rate / b.http_per_s);
  return out;
}

bool write_json(const std::string& path, const Context& ctx, const BaselineResult& base,
                const RunInfo& info) {
  json::Writer w;
  w.begin_object();
  write_run(w, ctx, info);
  write_steps(w, ctx.stats);
  w.key("errors").begin_object();
  for (const auto& [kind, n] : ctx.stats.errors()) w.key(kind).integer(static_cast<int64_t>(n));
  w.end_object();
  const Correctness& c = ctx.stats.correctness;
  w.key("correctness").begin_object();
  w.key("bills_lost").integer(static_cast<int64_t>(c.bills_lost));
  w.key("deliveries_duplicated").integer(static_cast<int64_t>(c.deliveries_duplicated));
  w.key("waiters_never_answered").integer(static_cast<int64_t>(c.waiters_never_answered));
  w.key("callbacks_wrongly_refused").integer(static_cast<int64_t>(c.callbacks_wrongly_refused));
  if (ctx.options.scenario == "wallet") {
    for (const auto& [name, value] : wallet_correctness(c)) w.key(name).integer(static_cast<int64_t>(value));
  }
  w.end_object();
  w.key("metrics").begin_object();
  for (const auto& [name, value] : ctx.result.metrics) w.key(name).raw(num(value));
  w.end_object();
  w.key("game_server").begin_object();
  w.key("requests").integer(static_cast<int64_t>(info.game.requests));
  w.key("acknowledged").integer(static_cast<int64_t>(info.game.acknowledged));
  w.key("duplicates").integer(static_cast<int64_t>(info.game.duplicates));
  w.key("injected_failures").integer(static_cast<int64_t>(info.game.injected_failures));
  w.key("refused_while_down").integer(static_cast<int64_t>(info.game.refused_while_down));
  w.end_object();
  w.key("client").begin_object().key("connects").integer(static_cast<int64_t>(info.client.connects));
  w.key("stale_keepalive_retries").integer(static_cast<int64_t>(info.client.retries));
  w.key("source_addresses").integer(info.client.source_addresses).end_object();
  write_baseline(w, ctx, base);
  w.key("notes").begin_array();
  for (const auto& n : ctx.result.notes) w.string(n);
  w.end_array();
  write_series(w, ctx.stats);
  w.end_object();
  std::ofstream out(path);
  out << w.str() << "\n";
  return static_cast<bool>(out);
}

}  // namespace unipay::bench
