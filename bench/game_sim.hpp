// The game server simulator: the delivery endpoint of the bench's app, an in-process
// MiniServer on 127.0.0.1. It checks nothing expensive (no signature), acknowledges each
// delivery with 200, can fail a share of them (500), and can be down for a window (503 and
// the connection closed). It remembers when each bill was first acknowledged, so the bench
// can tell deliveries that never came (lost bills) and ones that came again after an
// acknowledgement (duplicates: delivery is at least once, but on loopback with a game that
// answers in microseconds a second one means the server did not record the first).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bench/loop.hpp"

namespace unipay::bench {

struct GameSimOptions {
  double fail_rate = 0;
  double down_at_s = 0;  // relative to the load start (set_load_start)
  double down_s = 0;
  uint64_t seed = 1;
};

struct GameCounters {
  uint64_t requests = 0;
  uint64_t acknowledged = 0;  // distinct bills answered 200
  uint64_t duplicates = 0;    // deliveries of a bill already answered 200
  uint64_t injected_failures = 0;
  uint64_t refused_while_down = 0;
  uint64_t unparsable = 0;
};

class GameSim {
 public:
  static std::unique_ptr<GameSim> start(const GameSimOptions& options, std::string& error);
  ~GameSim();
  GameSim(const GameSim&) = delete;
  GameSim& operator=(const GameSim&) = delete;

  std::string delivery_url() const;
  void set_load_start(Clock::time_point start);
  // When the bill's first delivery was acknowledged.
  std::optional<Clock::time_point> acknowledged_at(const std::string& bill_id) const;
  GameCounters counters() const;
  bool down_now() const;
  void stop();

  struct Impl;

 private:
  GameSim() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unipay::bench
