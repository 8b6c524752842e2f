// Forged provider callbacks at a fixed rate, from a thread and a loop of their own (so the
// real callbacks' latency is measured on the main loop undisturbed by the sending): half
// name apps that do not exist (a pool of well-shaped ids, as a scanner would repeat them),
// half name the bench's real app and bills with a wrong signature. Open loop: a send that
// would exceed max_in_flight is skipped and counted, never queued.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/http_client.hpp"
#include "bench/unipay_api.hpp"

namespace unipay::bench {

struct ForgedTotals {
  uint64_t sent = 0;
  uint64_t skipped = 0;                       // over max_in_flight: not sent
  std::map<std::string, uint64_t> by_answer;  // "404", "401", "no_answer:timeout", ...
  double seconds = 0;                         // from the first send to the end
  double cpu_s = 0;                           // CPU the forging thread used (the bench's share of it)
};

class ForgedTraffic {
 public:
  // source_index: the forger's address, as ClientOptions::source_index (0: 127.0.0.1).
  ForgedTraffic(Endpoint target, AppCreds app, std::vector<std::string> bill_ids, double rate_per_s,
                size_t max_in_flight, int source_index, uint64_t seed);
  ~ForgedTraffic();  // stop()
  void start();
  ForgedTotals stop();  // stops sending, waits (bounded) for the answers, joins

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unipay::bench
