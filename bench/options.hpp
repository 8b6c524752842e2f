// Command line of unipay-bench (CLI11), with the loopback-only rule for targets.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/http_client.hpp"

namespace unipay::bench {

struct Options {
  std::string scenario =
      "lifecycle";  // lifecycle | callbacks | longpoll | outage | overload | restart | wallet

  // Where: a running unipayd, or one started here on an embedded PostgreSQL.
  std::string target_url;
  Endpoint target;
  std::string admin_token;
  bool spawn = false;
  std::string unipayd_path;              // default: <bench dir>/../unipayd
  std::vector<std::string> server_args;  // extra flags for the spawned unipayd
  bool keep_data = false;
  int server_pid = 0;            // for RSS with --target: the first --server-pid
  int postmaster_pid = 0;        // with --target: the server's PostgreSQL, for its CPU
  int64_t prefill = 0;           // rows of each kind loaded into the server's database first
  std::vector<int> server_pids;  // every --server-pid: one per node behind a balancer

  // Load.
  bool rate_max = false;
  bool rate_half_max = false;  // lifecycle: a --rate max pass, then one at half its rate
  double rate = 100;           // lifecycles (or callbacks) started per second
  double duration_s = 10;
  int think_ms = 50;              // a player pays this long after its bill was created
  int players = 256;              // concurrent players with --rate max
  int connections = 64;           // connections of the callback storm and of pre-creation
  int waiters = 19000;            // longpoll scenario
  int bills = 50000;              // callbacks scenario: bills created before the storm
  int accounts = 1000;            // wallet scenario: the many accounts (plus one hot account)
  double duplicate_share = 0.10;  // callbacks: share sent twice; wallet: share of applied ops replayed
  double forged_rate = 0;         // callbacks: forged callbacks per second in the second half (0: off)
  int forged_source = 200;        // ...sent from 127.0.0.(1 + this); 0: 127.0.0.1, like the real ones
  int longpoll_timeout_s = 30;
  std::string until = "delivered";  // lifecycle players long-poll until this (paid | delivered)
  int max_inflight = 0;             // 0: from the fd limit
  double restart_at_s = 5;          // restart: PostgreSQL is restarted this long into the load
  double settle_s = 60;             // overload: the RSS is read this long after the load ends
  double warmup_s = 10;             // overload: a lifecycle pass this long before the load (0: none)...
  double warmup_rate = 200;         // ...at this fixed rate, so the pre-load RSS is a server in service
  double drain_s = -1;              // after the load, wait this long at most for stragglers
                                    // (-1: 60 s; outage: 60 s + 4 × the down time, for backoff)

  // Channels of the lifecycle scenario, run one after the other against the same server
  // (sandbox first, as the same-run reference); alipay and wechatpay go through the
  // provider simulator, started here with --spawn or reached at provider_sim_url.
  std::vector<std::string> channels{"sandbox"};
  std::string provider_sim_url;
  Endpoint provider_sim;
  std::string provider_sim_path;  // default: <bench dir>/unipay-provider-sim

  // Game server simulator.
  double game_fail_rate = 0;
  double game_down_at_s = 10;
  double game_down_s = 0;

  // Outputs.
  std::string json_path;
  std::string svg_path;
  bool progress = true;  // the live line (only on a terminal)

  // Same-run baselines.
  bool baseline = false;
  double baseline_s = 5;           // per baseline measurement
  std::string baseline_http_path;  // default: <bench dir>/baseline_http
  std::string pg_conninfo;         // with --target: where to measure commit rates

  uint64_t seed = 0;  // 0: from the clock
};

// Parses and validates argv. Returns an exit status when the program should stop now
// (--help: 0; a usage error: 2), std::nullopt to go on.
std::optional<int> parse_options(int argc, char** argv, Options& out);

// "http://127.0.0.1:8080" → endpoint; refuses anything that is not loopback
// (127.0.0.0/8, ::1, localhost).
bool parse_loopback_url(const std::string& url, Endpoint& out, std::string& error);

// The directory holding this executable (from /proc/self/exe).
std::string executable_dir();

}  // namespace unipay::bench
