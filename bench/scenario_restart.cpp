// restart: recovery after a database restart. Creates --bills bills (each keeps a live
// bill actor while bills.actor_idle_ms allows), then keeps --connections client-token
// GETs going in a closed loop; --restart-at-s into the load it restarts the spawned
// server's embedded PostgreSQL (pg_ctl -m immediate restart, as a crash would) on a thread
// of its own, notes when it accepts connections again, and reports the GET p99 of each
// second after that and over [accepted + 5 s, end of load].
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "bench/common.hpp"

namespace unipay::bench {

namespace {

constexpr auto kCreateBound = std::chrono::seconds(900);
constexpr int kWindowsAfterAccept_s = 15;

struct Read {
  Clock::time_point sent;
  Clock::duration latency;
  bool ok = false;
};

struct ReadLoop {
  std::vector<CreatedBill> bills;
  std::vector<Read> reads;
  size_t next = 0;
  Clock::time_point end;
};

void read_next(Context& ctx, const std::shared_ptr<ReadLoop>& st) {
  if (Clock::now() >= st->end) return;
  const CreatedBill& bill = st->bills[st->next++ % st->bills.size()];
  const auto sent = Clock::now();
  ctx.client.send(get_bill_request(bill), [&ctx, st, sent](ClientResponse r) {
    const bool ok = r.status == 200;
    st->reads.push_back(Read{sent, r.latency(), ok});
    if (ok) ctx.stats.record(Step::read, r.latency());
    if (!ok) ctx.stats.error("read:" + answer_error_kind(r));
    read_next(ctx, st);
  });
}

// Restarts the cluster and waits until it accepts connections; the time it did, or none.
void restart_postgres(const std::string& data_dir, const std::string& conninfo,
                      std::atomic<int64_t>& accepted_ns) {
  const std::string command = "runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D '" + data_dir +
                              "/pg/data' -m immediate -w -t 120 restart >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) std::fprintf(stderr, "unipay-bench: pg_ctl restart failed\n");
  for (int i = 0; i < 1200; ++i) {
    if (PQping(conninfo.c_str()) == PQPING_OK) {
      accepted_ns = Clock::now().time_since_epoch().count();
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

double p99_ms(std::vector<double> latencies_ms) {
  if (latencies_ms.empty()) return -1;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  return latencies_ms[std::min(latencies_ms.size() - 1, latencies_ms.size() * 99 / 100)];
}

// Reads sent in [from, to): p99 in ms (a failed read counts as a very slow one), failures.
std::pair<double, uint64_t> window(const std::vector<Read>& reads, Clock::time_point from,
                                   Clock::time_point to) {
  std::vector<double> ms;
  uint64_t failed = 0;
  for (const Read& r : reads) {
    if (r.sent < from || r.sent >= to) continue;
    ms.push_back(r.ok ? std::chrono::duration<double, std::milli>(r.latency).count() : 1e9);
    if (!r.ok) failed += 1;
  }
  return {p99_ms(std::move(ms)), failed};
}

void restart_metrics(Context& ctx, const ReadLoop& st, Clock::time_point restart_at,
                     Clock::time_point accepted) {
  ctx.result.metric("live_bills", static_cast<double>(st.bills.size()));
  ctx.result.metric("postgres_down_to_accepting_s",
                    std::chrono::duration<double>(accepted - restart_at).count());
  for (int s = 0; s < kWindowsAfterAccept_s; ++s) {
    auto [p99, failed] =
        window(st.reads, accepted + std::chrono::seconds(s), accepted + std::chrono::seconds(s + 1));
    ctx.result.metric("read_p99_ms_second_" + std::to_string(s) + "_after_accepting", p99);
    if (failed > 0) ctx.result.metric("read_failed_second_" + std::to_string(s) + "_after_accepting", failed);
  }
  auto [p99, failed] = window(st.reads, accepted + std::chrono::seconds(5), st.end);
  ctx.result.metric("read_p99_ms_from_5s_after_accepting", p99);
  ctx.result.metric("read_failed_from_5s_after_accepting", static_cast<double>(failed));
}

}  // namespace

int run_restart(Context& ctx, const std::string& data_dir, const std::string& conninfo) {
  const Options& o = ctx.options;
  if (data_dir.empty()) {
    std::fprintf(stderr,
                 "unipay-bench: the restart scenario needs --spawn (it restarts the embedded cluster)\n");
    return 2;
  }
  auto st = std::make_shared<ReadLoop>();
  std::fprintf(stderr, "unipay-bench: creating %d bills\n", o.bills);
  st->bills = create_bills(ctx, o.bills, o.connections, Clock::now() + kCreateBound);
  if (st->bills.empty()) return std::fprintf(stderr, "unipay-bench: no bill could be created\n"), 1;
  ctx.result.headline = Step::read;
  const auto start = Clock::now();
  st->end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  for (int i = 0; i < o.connections; ++i) read_next(ctx, st);
  const auto restart_at =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.restart_at_s));
  ctx.loop.run_while([] { return true; }, restart_at);
  std::atomic<int64_t> accepted_ns{0};
  std::thread restarter([&] { restart_postgres(data_dir, conninfo, accepted_ns); });
  ctx.loop.run_while([] { return true; }, st->end);
  restarter.join();  // bounded: pg_ctl -t 120, then 60 s of pings
  if (accepted_ns == 0) return std::fprintf(stderr, "unipay-bench: PostgreSQL did not come back\n"), 1;
  Clock::time_point accepted{Clock::duration(accepted_ns.load())};
  restart_metrics(ctx, *st, restart_at, accepted);
  return 0;
}

}  // namespace unipay::bench
