// What every scenario gets: the options, the loop, the client pool to unipayd, the game
// server simulator, the stats, the bench's app; and what it hands back for the report.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "bench/game_sim.hpp"
#include "bench/http_client.hpp"
#include "bench/loop.hpp"
#include "bench/options.hpp"
#include "bench/stats.hpp"
#include "bench/unipay_api.hpp"

namespace unipay::bench {

class ProviderPayer;

// A bill whose sandbox callback unipay acknowledged: from then on it must be delivered.
struct PaidBill {
  std::string bill_id;
  Clock::time_point paid_at;
};

struct ScenarioResult {
  Step headline = Step::lifecycle;                      // the step whose rate the run is about
  std::vector<std::pair<std::string, double>> metrics;  // scenario figures, units in the names
  std::vector<std::string> notes;
  void metric(std::string name, double value) { metrics.emplace_back(std::move(name), value); }
};

struct Context {
  const Options& options;
  Loop& loop;
  HttpClient& client;
  GameSim& game;
  Stats& stats;
  AppCreds app;
  int server_pid = 0;          // 0: unknown (no RSS, no server CPU)
  int postmaster_pid = 0;      // 0: unknown (no PostgreSQL CPU)
  size_t max_connections = 0;  // of the client pool
  // Deliveries owed now (paid, not yet acknowledged by the game server); sampled each
  // second into the series when the scenario sets it.
  std::function<int64_t()> delivery_backlog;
  ScenarioResult result;
  Endpoint target;  // the server (spawned or --target), for scenarios that open clients of their own
  ProviderPayer* payer = nullptr;
  int provider_sim_pid = 0;  // the simulator the bench started (its CPU is reported), or 0  // with --channel
                             // alipay/wechatpay: the simulated provider
};

// Each returns 0, or 2 when it cannot run at all (the reason printed on stderr).
int run_lifecycle(Context& ctx);  // also the outage scenario (the game server goes down)
int run_callbacks(Context& ctx);
int run_callbacks_forged(Context& ctx);  // callbacks with --forged-rate
int run_longpoll(Context& ctx);
// Many accounts, then one hot account, then the books checked (scenario_wallet.cpp).
int run_wallet(Context& ctx);
// Restarts the spawned server's embedded PostgreSQL (`data_dir`, reachable at `conninfo`).
int run_restart(Context& ctx, const std::string& data_dir, const std::string& conninfo);

}  // namespace unipay::bench
