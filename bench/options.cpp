#include "bench/options.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "bench/provider_payer.hpp"

namespace unipay::bench {

namespace {

bool loopback_literal(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

void add_target_options(CLI::App& app, Options& o, std::string& rate) {
  app.add_option("--scenario", o.scenario,
                 "lifecycle | callbacks | longpoll | outage | overload | restart | wallet")
      ->check(
          CLI::IsMember({"lifecycle", "callbacks", "longpoll", "outage", "overload", "restart", "wallet"}));
  app.add_option("--target", o.target_url, "a running unipayd, e.g. http://127.0.0.1:8080 (loopback only)");
  app.add_option("--admin-token", o.admin_token, "its admin token (to create the bench's app)");
  app.add_flag("--spawn", o.spawn, "start unipayd here on an embedded PostgreSQL in a /tmp directory");
  app.add_option("--unipayd", o.unipayd_path,
                 "the unipayd binary for --spawn (default: ../unipayd from the bench's directory)");
  app.add_option("--server-arg", o.server_args,
                 "extra flag for the spawned unipayd (repeatable), e.g. --server-arg=--io-threads=2");
  app.add_flag("--keep-data", o.keep_data, "keep the spawned server's data directory");
  app.add_option(
      "--server-pid", o.server_pids,
      "pid of the --target server, for its RSS and CPU; repeatable: with --target at a load "
      "balancer, one per node (per-node CPU and RSS in the notes; the first is the scenarios' server)");
  app.add_option("--postmaster-pid", o.postmaster_pid,
                 "with --target: pid of its PostgreSQL postmaster, for the CPU of the cluster (postmaster "
                 "and children)");
  app.add_option("--rate", rate,
                 "arrivals per second, or max (closed loop with --players), or half-max (lifecycle: a max "
                 "pass, then a pass at half its lifecycles/s; figures prefixed max_ and half_max_)");
  app.add_option("--duration", o.duration_s, "seconds of load")->check(CLI::Range(0.5, 3600.0));
  app.add_option("--think-ms", o.think_ms, "a player pays this long after creating its bill")
      ->check(CLI::Range(0, 60000));
  app.add_option("--players", o.players, "concurrent players with --rate max")->check(CLI::Range(1, 18000));
  app.add_option("--connections", o.connections,
                 "connections of the callback storm / pre-creation / baseline")
      ->check(CLI::Range(1, 4096));
  app.add_option("--waiters", o.waiters, "longpoll: concurrent waiters")->check(CLI::Range(1, 100000));
  app.add_option("--bills", o.bills, "callbacks: bills created before the storm")
      ->check(CLI::Range(1, 2000000));
  app.add_option("--accounts", o.accounts,
                 "wallet: accounts of the many-accounts phase (plus one hot account)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--duplicate-share", o.duplicate_share,
                 "callbacks: share sent twice; wallet: share of applied operations sent again (same op_id)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--forged-rate", o.forged_rate,
                 "callbacks: real callbacks go at --rate and, in the run's second half, this many forged "
                 "callbacks per second (unknown apps, bad signatures) come too; compares the real p99s")
      ->check(CLI::Range(0.0, 1e6));
  app.add_option("--forged-source", o.forged_source,
                 "callbacks: forged callbacks come from 127.0.0.(1 + N) (200: a forger's own address, as "
                 "on the internet); 0: from 127.0.0.1 like the real ones")
      ->check(CLI::Range(0, 249));
  app.add_option("--longpoll-timeout-s", o.longpoll_timeout_s, "timeout= of each long poll")
      ->check(CLI::Range(1, 60));
  app.add_option("--until", o.until, "lifecycle: players long-poll until=paid or until=delivered")
      ->check(CLI::IsMember({"paid", "delivered"}));
  app.add_option("--max-inflight", o.max_inflight,
                 "open loop: players in flight at most (default: half the connection budget from the fd "
                 "limit; overload: 2048)")
      ->check(CLI::Range(0, 1000000));
  app.add_option(
         "--drain-s", o.drain_s,
         "after the load, wait at most this long for stragglers (default 60; outage 60 + 4 x down time)")
      ->check(CLI::Range(-1.0, 3600.0));
  app.add_option("--restart-at-s", o.restart_at_s, "restart: restart PostgreSQL this long into the load (5)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--settle-s", o.settle_s, "overload: read the server's RSS this long after the load (60)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option(
         "--warmup-s", o.warmup_s,
         "overload: first a lifecycle pass this long at --warmup-rate, for the warm RSS (10; 0: none)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--warmup-rate", o.warmup_rate, "overload: the warm-up pass's lifecycles per second (200)")
      ->check(CLI::Range(1.0, 1000000.0));
}

void add_channel_options(CLI::App& app, Options& o, std::string& channels) {
  app.add_option("--channel", channels,
                 "lifecycle: sandbox | alipay | wechatpay | apple | stripe | google, or a comma-separated "
                 "list; each channel runs for --duration in turn, sandbox first (added when missing) as the "
                 "same-run reference");
  app.add_option(
      "--provider-sim", o.provider_sim_url,
      "a running unipay-provider-sim (loopback URL) for the simulated channels; default with --spawn: "
      "one started here");
  app.add_option("--provider-sim-bin", o.provider_sim_path,
                 "the unipay-provider-sim binary to start (default: next to the bench)");
}

// "alipay,wechatpay" → sandbox, alipay, wechatpay (each once, sandbox first).
std::optional<int> parse_channels(Options& o, const std::string& list) {
  o.channels = {"sandbox"};
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = std::min(list.find(',', start), list.size());
    std::string name = list.substr(start, comma - start);
    start = comma + 1;
    if (name.empty() || name == "sandbox") continue;
    if (!simulated_channel(name)) {
      std::fprintf(
          stderr, "usage error: --channel: '%s' is not sandbox, alipay, wechatpay, apple, stripe or google\n",
          name.c_str());
      return 2;
    }
    if (std::find(o.channels.begin(), o.channels.end(), name) == o.channels.end()) o.channels.push_back(name);
  }
  if (o.channels.size() > 1 && o.scenario != "lifecycle") {
    std::fprintf(stderr,
                 "usage error: --channel alipay/wechatpay/apple/stripe is for --scenario lifecycle\n");
    return 2;
  }
  if (o.channels.size() > 1 && !o.spawn && o.provider_sim_url.empty()) {
    std::fprintf(stderr, "usage error: with --target, a simulated --channel needs --provider-sim URL\n");
    return 2;
  }
  std::string error;
  if (!o.provider_sim_url.empty() && !parse_loopback_url(o.provider_sim_url, o.provider_sim, error)) {
    std::fprintf(stderr, "usage error: --provider-sim: %s\n", error.c_str());
    return 2;
  }
  return std::nullopt;
}

void add_other_options(CLI::App& app, Options& o) {
  app.add_option("--game-fail-rate", o.game_fail_rate, "share of deliveries the game server answers 500")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--game-down-at-s", o.game_down_at_s,
                 "the game server goes down this many seconds into the load")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--game-down-s", o.game_down_s, "for this long (outage default 20)")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--json", o.json_path, "write the results as JSON");
  app.add_option("--svg", o.svg_path, "draw throughput and p99 over time");
  app.add_flag("!--no-progress", o.progress, "no live progress line");
  app.add_flag("--baseline", o.baseline, "also measure bench/baseline_http and PostgreSQL commit rates");
  app.add_option("--baseline-s", o.baseline_s, "seconds per baseline measurement")
      ->check(CLI::Range(1.0, 120.0));
  app.add_option("--baseline-http", o.baseline_http_path,
                 "the baseline_http binary (default: next to the bench)");
  app.add_option("--pg-conninfo", o.pg_conninfo, "libpq conninfo of the server's PostgreSQL (with --target)");
  app.add_option("--prefill", o.prefill,
                 "before the load, load this many bills, nonces, delivery jobs and audit rows into the "
                 "server's database (needs --spawn or --pg-conninfo), for figures on grown tables")
      ->check(CLI::Range(int64_t{0}, int64_t{100000000}));
  app.add_option("--seed", o.seed, "random seed (default: from the clock)");
}

std::optional<int> validate(Options& o, const std::string& rate, const std::string& channels) {
  if (rate == "max" || rate == "half-max") {
    o.rate_max = true;
    o.rate_half_max = rate == "half-max";
    if (o.rate_half_max && o.scenario != "lifecycle") {
      std::fprintf(stderr, "usage error: --rate half-max is for --scenario lifecycle\n");
      return 2;
    }
  } else {
    try {
      o.rate = std::stod(rate);
    } catch (const std::exception&) {
      o.rate = -1;
    }
    if (!(o.rate > 0 && o.rate <= 1e6)) {
      std::fprintf(stderr, "usage error: --rate must be a number in (0, 1000000] or max\n");
      return 2;
    }
  }
  if (o.spawn == !o.target_url.empty()) {
    std::fprintf(stderr, "usage error: give exactly one of --spawn and --target URL\n");
    return 2;
  }
  if (!o.spawn) {
    std::string error;
    if (!parse_loopback_url(o.target_url, o.target, error)) {
      std::fprintf(stderr, "usage error: --target: %s\n", error.c_str());
      return 2;
    }
    if (o.admin_token.empty()) {
      std::fprintf(stderr, "usage error: --target needs --admin-token\n");
      return 2;
    }
  }
  if (!o.server_pids.empty()) o.server_pid = o.server_pids.front();
  if (o.prefill > 0 && !o.spawn && o.pg_conninfo.empty()) {
    std::fprintf(stderr, "usage error: --prefill needs --spawn or --pg-conninfo\n");
    return 2;
  }
  if (auto code = parse_channels(o, channels)) return code;
  if (o.rate_half_max && o.channels.size() > 1) {
    std::fprintf(stderr, "usage error: --rate half-max runs the sandbox channel only\n");
    return 2;
  }
  if (o.scenario == "outage" && o.game_down_s == 0) o.game_down_s = 20;
  // Retries back off exponentially (full jitter), so after T seconds down the next try of
  // an early bill may come about 2T later: wait long enough not to call it lost.
  if (o.drain_s < 0) o.drain_s = 60 + (o.scenario == "outage" ? 4 * o.game_down_s : 0);
  if (o.seed == 0)
    o.seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return std::nullopt;
}

}  // namespace

bool parse_loopback_url(const std::string& url, Endpoint& out, std::string& error) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) {
    error = "only http:// URLs are accepted";
    return false;
  }
  std::string rest = url.substr(kScheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  std::string host;
  std::string port;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) return error = "unclosed [ in the host", false;
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else {
    auto colon = rest.rfind(':');
    host = rest.substr(0, colon);
    if (colon != std::string::npos) port = rest.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  if (!loopback_literal(host)) {
    error = "the target must be loopback (127.0.0.0/8, ::1 or localhost), not '" + host + "'";
    return false;
  }
  int number = port.empty() ? 80 : std::atoi(port.c_str());
  if (number < 1 || number > 65535 || (port.find_first_not_of("0123456789") != std::string::npos)) {
    error = "bad port '" + port + "'";
    return false;
  }
  out.host = host;
  out.port = static_cast<uint16_t>(number);
  return true;
}

std::string executable_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : exe.parent_path().string();
}

namespace {

// The spawned processes run in their own /tmp directory, so a path relative to where the
// bench was started would not be found there.
std::string absolute_path(const std::string& path) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

}  // namespace

std::optional<int> parse_options(int argc, char** argv, Options& out) {
  CLI::App app{"unipay-bench: load tester for unipayd with a game server simulator and a sandbox provider"};
  std::string rate = "100";
  std::string channels = "sandbox";
  add_target_options(app, out, rate);
  add_channel_options(app, out, channels);
  add_other_options(app, out);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (out.unipayd_path.empty()) out.unipayd_path = executable_dir() + "/../unipayd";
  if (out.baseline_http_path.empty()) out.baseline_http_path = executable_dir() + "/baseline_http";
  if (out.provider_sim_path.empty()) out.provider_sim_path = executable_dir() + "/unipay-provider-sim";
  for (auto* path : {&out.unipayd_path, &out.baseline_http_path, &out.provider_sim_path})
    *path = absolute_path(*path);
  return validate(out, rate, channels);
}

}  // namespace unipay::bench
