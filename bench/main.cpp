// unipay-bench: load tester for unipayd (bench issue). See docs/BENCHMARKS.md.
// Exit status: 0 ok; 1 a correctness counter is not zero (or the run could not finish);
// 2 usage error or a scenario that cannot run.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>

#include "bench/baseline.hpp"
#include "bench/cpu_usage.hpp"
#include "bench/node_usage.hpp"
#include "bench/prefill.hpp"
#include "bench/provider_payer.hpp"
#include "bench/report.hpp"
#include "bench/spawn.hpp"
#include "net/crypto.hpp"

namespace unipay::bench {
namespace {

volatile sig_atomic_t g_spawned_pid = 0;
volatile sig_atomic_t g_sim_pid = 0;

// Ctrl-C: the spawned unipayd (and with it its embedded PostgreSQL) must not outlive us.
void on_interrupt(int signal_number) {
  if (g_spawned_pid > 0) ::kill(g_spawned_pid, SIGTERM);
  if (g_sim_pid > 0) ::kill(g_sim_pid, SIGTERM);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

size_t raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  lim.rlim_cur = lim.rlim_max;
  (void)::setrlimit(RLIMIT_NOFILE, &lim);
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return static_cast<size_t>(lim.rlim_cur);
}

int io_threads_of(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--io-threads=", 0) == 0) return std::atoi(a.c_str() + 13);
    if (a == "--io-threads" && i + 1 < args.size()) return std::atoi(args[i + 1].c_str());
  }
  return 1;  // unipayd's default
}

// The bench's app, with a merchant of the provider simulator for each simulated channel.
// 0, or the exit status: 2 when the server refuses those channels' credentials.
int create_app(Context& ctx, const std::string& admin_token) {
  ctx.app.sandbox_secret = crypto::random_hex(24);
  std::vector<ChannelCredentials> channels;
  for (const std::string& channel : ctx.options.channels) {
    if (!simulated_channel(channel)) continue;
    std::string error;
    if (!ctx.payer->make_merchant(channel, channels.emplace_back(), error))
      return std::fprintf(stderr, "unipay-bench: a %s merchant at the simulator: %s\n", channel.c_str(),
                          error.c_str()),
             1;
  }
  bool done = false;
  bool ok = false;
  ctx.client.send(create_app_request(admin_token, ctx.game.delivery_url(), ctx.app.sandbox_secret, channels),
                  [&](ClientResponse r) {
                    done = true;
                    ok = parse_app_answer(r, ctx.app);
                    if (!ok)
                      std::fprintf(stderr, "unipay-bench: creating the app: %s %s\n",
                                   answer_error_kind(r).c_str(), r.body.c_str());
                  });
  ctx.loop.run_while([&] { return !done; }, Clock::now() + std::chrono::seconds(30));
  if (ok) return 0;
  if (!channels.empty()) {
    std::fprintf(
        stderr,
        "unipay-bench: the server does not take these channels' apps: --channel needs a unipayd with "
        "the channel adapters (issue 12: app credentials, bill creation through prepare, "
        "POST /v1/callbacks/{app_id}/{channel})\n");
    return 2;
  }
  return 1;
}

// Each --server-pid's CPU seconds and RSS now, from /proc.
std::vector<NodeSample> sample_nodes(const std::vector<int>& pids) {
  std::vector<NodeSample> out;
  for (int pid : pids) out.push_back({pid, take_cpu_snapshot(pid, 0).server_s, read_rss_kib(pid)});
  return out;
}

// The server must read prefilled rows as its own bills: one left delivered, one left paid.
bool server_reads_prefill(Context& ctx, const PrefillResult& r) {
  std::vector<std::pair<std::string, std::string>> expected{{r.delivered_bill_id, "delivered"}};
  if (!r.paid_bill_id.empty()) expected.emplace_back(r.paid_bill_id, "paid");
  for (const auto& [bill_id, state] : expected) {
    std::string seen;
    bool done = false;
    ctx.client.send(get_bill_signed_request(ctx.app, bill_id), [&](ClientResponse answer) {
      seen = bill_state_of(answer);
      if (seen.empty()) seen = answer_error_kind(answer);
      done = true;
    });
    ctx.loop.run_while([&] { return !done; }, Clock::now() + std::chrono::seconds(30));
    if (seen != state) {
      std::fprintf(stderr, "unipay-bench: --prefill: the server reads bill %s as '%s', not '%s'\n",
                   bill_id.c_str(), seen.c_str(), state.c_str());
      return false;
    }
  }
  return true;
}

// --prefill: the grown tables, loaded after the bench's app exists (the rows are its bills).
// false when the load failed (the reason printed).
bool prefill(Context& ctx, const std::string& conninfo) {
  const Options& o = ctx.options;
  if (o.prefill <= 0) return true;
  std::fprintf(stderr, "unipay-bench: prefilling %lld bills, nonces, audit rows and attempts\n",
               static_cast<long long>(o.prefill));
  PrefillResult r = prefill_database(conninfo, ctx.app.app_id, o.prefill, o.seed);
  if (!r.ok) return std::fprintf(stderr, "unipay-bench: --prefill: %s\n", r.error.c_str()), false;
  if (!server_reads_prefill(ctx, r)) return false;
  ctx.result.metric("prefill_bills", static_cast<double>(r.bills));
  ctx.result.metric("prefill_dead_jobs", static_cast<double>(r.dead_jobs));
  ctx.result.metric("prefill_s", r.seconds);
  return true;
}

int run_scenario(Context& ctx, const SpawnedServer* spawned) {
  const std::string& s = ctx.options.scenario;
  if (s == "restart")
    return run_restart(ctx, spawned ? spawned->data_dir() : "", spawned ? spawned->conninfo() : "");
  if (s == "lifecycle" || s == "outage" || s == "overload") return run_lifecycle(ctx);
  if (s == "wallet") return run_wallet(ctx);
  if (s == "callbacks") return ctx.options.forged_rate > 0 ? run_callbacks_forged(ctx) : run_callbacks(ctx);
  return run_longpoll(ctx);
}

void report(Context& ctx, const BaselineResult& base, RunInfo info) {
  info.game = ctx.game.counters();
  info.client = ctx.client.counters();
  print_table(ctx, base, info);
  const Options& o = ctx.options;
  if (!o.json_path.empty() && !write_json(o.json_path, ctx, base, info))
    std::fprintf(stderr, "cannot write %s\n", o.json_path.c_str());
  if (!o.svg_path.empty() && !write_svg(o.svg_path, ctx))
    std::fprintf(stderr, "cannot write %s\n", o.svg_path.c_str());
}

// With a simulated channel: the provider simulator (started here unless --provider-sim)
// and, for a spawned unipayd, the flags that point it there.
bool start_provider_sim(const Options& o, std::unique_ptr<SpawnedSim>& sim, Endpoint& endpoint,
                        std::vector<std::string>& server_args) {
  if (o.channels.size() < 2) return true;
  std::string url = o.provider_sim_url;
  endpoint = o.provider_sim;
  std::string error;
  if (url.empty()) {
    sim = SpawnedSim::start(o.provider_sim_path, error);
    if (!sim) return std::fprintf(stderr, "unipay-bench: provider simulator: %s\n", error.c_str()), false;
    g_sim_pid = sim->pid();
    url = sim->url();
    if (!parse_loopback_url(url, endpoint, error))
      return std::fprintf(stderr, "unipay-bench: provider simulator at %s: %s\n", url.c_str(), error.c_str()),
             false;
  }
  if (o.spawn) {
    for (auto& arg : provider_server_args(url)) server_args.push_back(std::move(arg));
  }
  return true;
}

int run(const Options& o) {
  size_t fd_limit = raise_fd_limit();
  std::string error;
  std::unique_ptr<SpawnedSim> sim;
  Endpoint sim_endpoint;
  std::vector<std::string> server_args = o.server_args;
  if (!start_provider_sim(o, sim, sim_endpoint, server_args)) return 1;
  auto game = GameSim::start({o.game_fail_rate, o.game_down_at_s, o.game_down_s, o.seed}, error);
  if (!game) return std::fprintf(stderr, "unipay-bench: game server simulator: %s\n", error.c_str()), 1;
  std::unique_ptr<SpawnedServer> spawned;
  RunInfo info{o.target_url, o.spawn, o.server_args, io_threads_of(o.server_args)};
  Endpoint target = o.target;
  std::string admin_token = o.admin_token;
  int pid = o.server_pid;
  if (o.spawn) {
    std::fprintf(stderr, "unipay-bench: starting %s on an embedded PostgreSQL\n", o.unipayd_path.c_str());
    SpawnOptions spawn{o.unipayd_path, server_args, o.keep_data};
    spawn.public_base_url = o.channels.size() > 1;  // WeChat Pay orders carry a notify_url
    spawned = SpawnedServer::start(spawn, error);
    if (!spawned && o.channels.size() > 1)
      error +=
          " (a simulated --channel passes --providers-*-url, --allow-private-providers and "
          "--public-base-url: a unipayd without issue 12's channels does not know them)";
    if (!spawned) return std::fprintf(stderr, "unipay-bench: %s\n", error.c_str()), 1;
    g_spawned_pid = spawned->pid();
    target = spawned->endpoint();
    admin_token = spawned->admin_token();
    pid = spawned->pid();
    info.target = "http://127.0.0.1:" + std::to_string(target.port);
    info.server_args = std::vector<std::string>(spawned->args().begin() + 1, spawned->args().end());
    for (size_t i = 0; i + 1 < info.server_args.size(); ++i) {
      if (info.server_args[i] == "--admin-token") info.server_args[i + 1] = "<random>";  // never in reports
    }
  }
  Loop loop;
  Stats stats(Clock::now());
  // Room for the game server's accepted connections and the process's own files.
  size_t max_connections = fd_limit > 2048 ? fd_limit - 512 : fd_limit / 2;
  HttpClient client(loop, target, ClientOptions{max_connections});
  Context ctx{o,
              loop,
              client,
              *game,
              stats,
              {},
              pid,
              spawned ? read_postmaster_pid(spawned->data_dir()) : o.postmaster_pid,
              max_connections,
              {}};
  ctx.target = target;
  std::unique_ptr<ProviderPayer> payer;
  if (o.channels.size() > 1) {
    payer = std::make_unique<ProviderPayer>(loop, sim_endpoint);
    ctx.payer = payer.get();
    ctx.provider_sim_pid = sim ? sim->pid() : 0;
  }
  if (int code = create_app(ctx, admin_token); code != 0) return code;
  if (!prefill(ctx, spawned ? spawned->conninfo() : o.pg_conninfo)) return 1;
  info.loadavg_before = read_loadavg();
  const auto nodes_before = sample_nodes(o.server_pids);
  const double nodes_from_s = stats.elapsed_s();
  int code = run_scenario(ctx, spawned.get());
  if (code != 0) return code;
  for (auto& note :
       node_usage_notes(nodes_before, sample_nodes(o.server_pids), stats.elapsed_s() - nodes_from_s))
    ctx.result.notes.push_back(std::move(note));
  BaselineResult base;
  if (o.baseline) base = run_baselines(ctx, spawned ? spawned->conninfo() : o.pg_conninfo, info.io_threads);
  info.elapsed_s = stats.elapsed_s();
  info.loadavg_after = read_loadavg();
  report(ctx, base, info);
  client.close_idle();
  if (spawned) spawned->stop();
  g_spawned_pid = 0;
  if (sim) sim->stop();
  g_sim_pid = 0;
  return ctx.stats.correctness.total() > 0 ? 1 : 0;
}

}  // namespace
}  // namespace unipay::bench

int main(int argc, char** argv) {
  unipay::bench::Options options;
  if (auto code = unipay::bench::parse_options(argc, argv, options)) return *code;
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, unipay::bench::on_interrupt);
  std::signal(SIGTERM, unipay::bench::on_interrupt);
  return unipay::bench::run(options);
}
