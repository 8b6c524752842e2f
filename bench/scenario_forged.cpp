// callbacks with --forged-rate N (issue 8.6): real signed callbacks at --rate for the whole
// run; halfway through, forged callbacks (unknown apps, bad signatures) start at N per
// second from a thread of their own. Reports the real callbacks' p99 in the quiet half and
// in the forged half of the same run, their ratio, what the forged ones were answered, and
// the server's database reads and refused-audit counters over the forged half (/metrics).
#include <cmath>
#include <map>
#include <optional>

#include "bench/common.hpp"
#include "bench/forged_traffic.hpp"

namespace unipay::bench {

namespace {

constexpr auto kCreateBound = std::chrono::seconds(900);
constexpr size_t kForgedInFlight = 1024;
constexpr auto kTick = std::chrono::milliseconds(1);

struct Paced {
  std::vector<CreatedBill> bills;
  size_t next = 0;
  uint64_t answered = 0;
  Histogram quiet;   // real callbacks sent before the forged traffic started
  Histogram forged;  // ...and while it ran
  bool forging = false;
  std::vector<PaidBill> paid;
};

// The server's counters of interest, from GET /metrics (0 when absent).
std::map<std::string, double> scrape_metrics(Context& ctx) {
  std::map<std::string, double> out;
  ClientRequest r;
  r.target = "/metrics";
  bool done = false;
  ctx.client.send(r, [&](ClientResponse answer) {
    done = true;
    size_t at = 0;
    while (at < answer.body.size()) {
      size_t end = answer.body.find('\n', at);
      if (end == std::string::npos) end = answer.body.size();
      std::string line = answer.body.substr(at, end - at);
      at = end + 1;
      size_t space = line.rfind(' ');
      if (line.empty() || line[0] == '#' || space == std::string::npos) continue;
      out[line.substr(0, space)] = std::atof(line.c_str() + space + 1);
    }
  });
  ctx.loop.run_while([&] { return !done; }, Clock::now() + std::chrono::seconds(10));
  return out;
}

void send_real(Context& ctx, const std::shared_ptr<Paced>& st) {
  const size_t index = st->next++;
  const bool forging = st->forging;
  const std::string& bill_id = st->bills[index].bill_id;
  ctx.client.send(
      callback_request(ctx.app, bill_id, "t" + bill_id), [&ctx, st, index, forging](ClientResponse r) {
        st->answered += 1;
        if (r.status != 200) {
          ctx.stats.error("callback:" + answer_error_kind(r));
          const bool busy = r.status == 0 || r.status == 429 || r.status >= 500;
          if (!busy) ctx.stats.correctness.callbacks_wrongly_refused += 1;
          return;
        }
        ctx.stats.record(Step::callback, r.latency());
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(r.latency()).count();
        (forging ? st->forged : st->quiet).record_us(us);
        st->paid.push_back(PaidBill{st->bills[index].bill_id, r.done_at});
      });
}

// Server counters at the start, at half time and at the end: each half's increase.
struct Scrapes {
  std::map<std::string, double> start, half, end;
};

void report_forged(Context& ctx, const Paced& st, const ForgedTotals& forged, Scrapes scrapes) {
  auto& m = ctx.result;
  m.metric("real_callbacks_quiet", static_cast<double>(st.quiet.count()));
  m.metric("real_callbacks_forged", static_cast<double>(st.forged.count()));
  m.metric("real_callback_p50_quiet_us", static_cast<double>(st.quiet.quantile_us(0.5)));
  m.metric("real_callback_p50_forged_us", static_cast<double>(st.forged.quantile_us(0.5)));
  m.metric("real_callback_p99_quiet_us", static_cast<double>(st.quiet.quantile_us(0.99)));
  m.metric("real_callback_p99_forged_us", static_cast<double>(st.forged.quantile_us(0.99)));
  const double quiet = static_cast<double>(std::max<int64_t>(1, st.quiet.quantile_us(0.99)));
  m.metric("real_callback_p99_ratio", static_cast<double>(st.forged.quantile_us(0.99)) / quiet);
  m.metric("forged_sent", static_cast<double>(forged.sent));
  m.metric("forged_skipped_over_in_flight", static_cast<double>(forged.skipped));
  m.metric("forged_per_s", forged.seconds > 0 ? static_cast<double>(forged.sent) / forged.seconds : 0);
  // What generating them cost the bench (it shares the cores with the server).
  m.metric("forged_sender_cpu_s", forged.cpu_s);
  m.metric("forged_sender_cpu_us_per_request",
           forged.sent > 0 ? forged.cpu_s * 1e6 / static_cast<double>(forged.sent) : 0);
  for (const auto& [answer, n] : forged.by_answer)
    m.metric("forged_answered_" + answer, static_cast<double>(n));
  for (const char* name :
       {"unipay_db_reads_total", "unipay_db_write_ops_total", "unipay_callback_audits_written_total",
        "unipay_callback_audits_dropped_total{reason=\"source_limit\"}",
        "unipay_callback_audits_dropped_total{reason=\"app_limit\"}",
        "unipay_callback_audits_dropped_total{reason=\"queue_full\"}",
        "unipay_callbacks_refused_shut_out_total", "unipay_callback_sources_shut_out_total",
        "unipay_app_reads_refused_total"}) {
    m.metric(std::string("server_quiet_half_") + name, scrapes.half[name] - scrapes.start[name]);
    m.metric(std::string("server_forged_half_") + name, scrapes.end[name] - scrapes.half[name]);
  }
}

}  // namespace

int run_callbacks_forged(Context& ctx) {
  const Options& o = ctx.options;
  auto st = std::make_shared<Paced>();
  const int wanted = static_cast<int>(std::ceil(o.rate * o.duration_s * 1.05)) + 10;
  std::fprintf(stderr, "unipay-bench: creating %d bills for the paced callbacks\n", wanted);
  st->bills = create_bills(ctx, wanted, o.connections, Clock::now() + kCreateBound);
  std::vector<std::string> bill_ids;
  for (const auto& b : st->bills) bill_ids.push_back(b.bill_id);
  ForgedTraffic forged(ctx.target, ctx.app, std::move(bill_ids), o.forged_rate, kForgedInFlight,
                       o.forged_source, o.seed);

  Scrapes scrapes;
  scrapes.start = scrape_metrics(ctx);
  auto alive = std::make_shared<bool>(true);
  CpuWindow cpu(ctx);
  CpuWindow quiet_cpu(ctx);  // each half's CPU by process: the server's vs the bench's own
  std::optional<CpuWindow> forged_cpu;
  const auto start = Clock::now();
  const auto half =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s / 2));
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  ctx.game.set_load_start(start);
  start_progress(
      ctx, Step::callback, [] { return int64_t{-1}; },
      [st] { return std::string(st->forging ? "forged half" : "quiet half"); }, alive);
  ctx.result.headline = Step::callback;
  ctx.loop.every(kTick, [&ctx, st, start, end] {
    const auto due = static_cast<size_t>(seconds_since(start) * ctx.options.rate);
    while (st->next < due && st->next < st->bills.size() && Clock::now() < end) send_real(ctx, st);
    return Clock::now() < end && st->next < st->bills.size();
  });
  ctx.loop.run_while([] { return true; }, half);
  scrapes.half = scrape_metrics(ctx);
  quiet_cpu.finish(ctx, static_cast<double>(st->next), "callback", "quiet_half_");
  forged_cpu.emplace(ctx);
  st->forging = true;
  forged.start();
  ctx.loop.run_while([] { return true; }, end);
  ForgedTotals totals = forged.stop();
  forged_cpu->finish(ctx, static_cast<double>(totals.sent), "forged_callback", "forged_half_");
  scrapes.end = scrape_metrics(ctx);
  ctx.loop.run_while([&] { return st->answered < st->next; }, Clock::now() + std::chrono::seconds(30));
  double settle_s = settle_deliveries(ctx, st->paid, o.drain_s);
  cpu.finish(ctx, static_cast<double>(st->answered + totals.sent), "callback_real_or_forged");
  *alive = false;
  end_progress(ctx);
  count_duplicates(ctx);
  report_forged(ctx, *st, totals, std::move(scrapes));
  ctx.result.metric("deliveries_settled_after_s", settle_s);
  return 0;
}

}  // namespace unipay::bench
