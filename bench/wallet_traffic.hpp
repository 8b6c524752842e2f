// The wallet scenario's operations in flight. A flow is one credit, one debit, or a hold
// followed by its capture (whole or part) or void; each operation is retried with the same
// op_id while its outcome is unknown (no answer, 429, 5xx), as the API says is safe, and a
// share of the applied ones is sent once more to check that the replay answers the same
// status and body. Every final answer updates the account's model (wallet_books.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/context.hpp"
#include "bench/wallet_api.hpp"

namespace unipay::bench {

struct WalletAccounts {
  std::vector<std::string> ids;  // the many accounts, then the hot one last
  std::vector<AccountModel> models;
  size_t hot() const { return ids.size() - 1; }
};

struct WalletCounters {
  uint64_t ops_final[2] = {0, 0};  // [hot]: operations with a final answer (applied or refused)
  uint64_t refused_insufficient = 0;
  uint64_t replays_sent = 0;
  uint64_t ops_by_kind[5] = {0, 0, 0, 0, 0};  // applied, by WalletOpKind
};

class WalletTraffic {
 public:
  WalletTraffic(Context& ctx, WalletAccounts& accounts, uint64_t seed);
  ~WalletTraffic();
  WalletTraffic(const WalletTraffic&) = delete;
  WalletTraffic& operator=(const WalletTraffic&) = delete;

  // A random flow on a random one of the many accounts, or on the hot account.
  void start_flow(bool hot);
  // One credit of `amount` to an account, outside the measured load (setup).
  void seed_credit(size_t account, int64_t amount);
  // Called when a flow ends (the closed loop of --rate max starts the next one).
  void on_flow_end(std::function<void()> fn);

  size_t flows_in_flight() const;
  size_t requests_in_flight() const;  // flows' requests and replays
  const WalletCounters& counters() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace unipay::bench
