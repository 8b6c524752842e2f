#include "bench/baseline.hpp"

#include <cstdio>
#include <memory>

#include "bench/cpu_usage.hpp"
#include "bench/spawn.hpp"

namespace unipay::bench {

namespace {

struct Drive {
  Histogram latency;
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t failed = 0;
  Clock::time_point end;
};

// One lane of the closed loop: the next request as soon as the previous one answered.
void lane(Context& ctx, HttpClient& client, const std::shared_ptr<Drive>& d) {
  if (Clock::now() >= d->end) return;
  d->sent += 1;
  // The very request of the callbacks scenario, HMAC included, so the client's own cost
  // per request is the same in both runs.
  client.send(callback_request(ctx.app, "b_0000000000000000000000000A", "t_baseline"), [&ctx, &client,
                                                                                        d](ClientResponse r) {
    d->answered += 1;
    if (r.status == 200) {
      d->latency.record_us(std::chrono::duration_cast<std::chrono::microseconds>(r.latency()).count());
    } else {
      d->failed += 1;
    }
    lane(ctx, client, d);
  });
}

void record_cpu_per_request(const CpuSnapshot& before, const CpuSnapshot& after, uint64_t answered,
                            BaselineResult& out) {
  if (answered == 0) return;
  const double per_request_us = 1e6 / static_cast<double>(answered);
  if (before.server_s >= 0 && after.server_s >= 0)
    out.http_server_cpu_us_per_request = (after.server_s - before.server_s) * per_request_us;
  out.http_client_cpu_us_per_request = (after.bench_s - before.bench_s) * per_request_us;
}

void drive_baseline_http(Context& ctx, BaselineResult& out) {
  const Options& o = ctx.options;
  std::string line;
  std::string log = "/tmp/unipay-bench-baseline_http.log";
  int pid = spawn_with_first_line({o.baseline_http_path, "--threads", std::to_string(out.http_threads)}, log,
                                  line, 10);
  Endpoint endpoint;
  std::string error;
  auto at = line.rfind(' ');
  if (pid <= 0 || at == std::string::npos ||
      !parse_loopback_url("http://" + line.substr(at + 1), endpoint, error)) {
    out.http_error = "baseline_http did not start (" + o.baseline_http_path + "): '" + line + "' " + error;
    terminate_process(pid, 5);
    return;
  }
  {
    HttpClient client(ctx.loop, endpoint, ClientOptions{static_cast<size_t>(o.connections)});
    auto d = std::make_shared<Drive>();
    const CpuSnapshot cpu_before = take_cpu_snapshot(pid, 0);
    auto start = Clock::now();
    d->end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.baseline_s));
    for (int i = 0; i < o.connections; ++i) lane(ctx, client, d);
    ctx.loop.run_while([&] { return d->answered < d->sent; }, d->end + std::chrono::seconds(20));
    double elapsed = seconds_since(start);
    out.http_per_s = static_cast<double>(d->answered - d->failed) / elapsed;
    out.http_p50_ms = static_cast<double>(d->latency.quantile_us(0.50)) / 1000.0;
    out.http_p99_ms = static_cast<double>(d->latency.quantile_us(0.99)) / 1000.0;
    record_cpu_per_request(cpu_before, take_cpu_snapshot(pid, 0), d->answered, out);
    if (d->failed > 0) out.http_error = std::to_string(d->failed) + " baseline requests failed";
  }
  terminate_process(pid, 10);
}

}  // namespace

BaselineResult run_baselines(Context& ctx, const std::string& conninfo, int io_threads) {
  BaselineResult out;
  out.ran = true;
  out.http_threads = io_threads;
  out.http_connections = ctx.options.connections;
  std::fprintf(stderr, "unipay-bench: baseline_http, %d connections, %.0f s\n", ctx.options.connections,
               ctx.options.baseline_s);
  drive_baseline_http(ctx, out);
  if (conninfo.empty()) {
    out.pg.error = "no PostgreSQL conninfo (give --pg-conninfo with --target)";
    return out;
  }
  std::fprintf(stderr, "unipay-bench: PostgreSQL commit rates, 1 and 16 connections, %.0f s each\n",
               ctx.options.baseline_s);
  out.pg = measure_commit_rates(conninfo, ctx.options.baseline_s);
  return out;
}

}  // namespace unipay::bench
