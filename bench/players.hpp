// Virtual players of the lifecycle and outage scenarios. One player: create a bill (signed),
// long-poll its result with the client token (until=delivered, or until=paid), and,
// think_ms after the bill was created, get paid (the sandbox provider's signed callback, or
// the channel's: the bill paid at the simulated provider, its signed notification posted).
// The player ends when the long poll answers with the bill delivered (paid) or in another
// final state, after a bounded number of re-polls, or when its callback could not be
// delivered at all. Delivery to the game server is checked at the end either way.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bench/context.hpp"

namespace unipay::bench {

struct PlayerConfig {
  int think_ms = 50;
  int poll_timeout_s = 30;
  int max_polls = 3;                // long polls per player at most (timeouts re-poll)
  int max_callback_tries = 5;       // a provider retries a callback answered busy / 5xx
  bool until_delivered = true;      // else the player is done when its poll sees the bill paid
  std::string channel = "sandbox";  // alipay, wechatpay: paid through ctx.payer (provider_payer.hpp)
  // A creation refused busy with Retry-After is tried again after it (spread up to half as
  // much again), as a game client would, instead of the player ending at once: the closed
  // loop of --rate max then does not turn every refusal into an instant new request.
  bool honour_retry_after = false;
};

class Players {
 public:
  Players(Context& ctx, PlayerConfig config);
  ~Players();
  Players(const Players&) = delete;
  Players& operator=(const Players&) = delete;

  void start_one();
  // Called when a player ends (the closed loop of --rate max starts the next one).
  void on_end(std::function<void()> fn);

  // Players waiting out a Retry-After end instead of creating again (the load is over).
  void stop_retrying();

  size_t in_flight() const;  // including players waiting out a Retry-After
  uint64_t started() const;
  uint64_t completed() const;          // ended with the bill delivered
  uint64_t retry_after_waits() const;  // refused creations waited out and tried again
  // Bills whose callback was acknowledged (the provider was told "paid").
  const std::vector<PaidBill>& paid() const;
  // For players still running at the end: their waiters count as never answered when the
  // game server did get the delivery; their bills are checked by settle_deliveries().
  void account_unfinished();

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace unipay::bench
