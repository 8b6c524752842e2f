// Who may start a delivery attempt now (pure): a total cap, a per-app share so one app's
// slow or broken game server cannot take the slots other apps need (an app whose game
// server answers may borrow idle slots beyond its share, always leaving one share's worth
// free for the others; an app with a failure since its last 2xx never borrows), and a
// per-app circuit breaker that pauses an app whose game server keeps failing (after a cool-down one probe
// attempt decides: a 2xx closes the breaker, a failure opens it again). The dispatcher
// (actors/delivery.cpp) owns one AppDeliveries per app with attempts running or a breaker
// not closed, and asks these functions before every attempt and every claim.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include "storage/bill.hpp"

namespace unipay {

struct DeliveryLimits {
  size_t max_concurrent = 2000;         // attempts in flight on this node, all apps
  size_t max_concurrent_per_app = 250;  // one app's share (more only by borrowing idle slots)
  size_t breaker_failures = 20;         // consecutive failed attempts that open the breaker; 0: never
  std::chrono::milliseconds breaker_cooldown_ms{5000};  // open this long, then one probe
};

// One app's deliveries on this node.
struct AppDeliveries {
  size_t active = 0;                 // attempts in flight
  size_t consecutive_failures = 0;   // failed attempts since the last 2xx
  std::optional<Millis> open_until;  // set: breaker open until then, half-open after
  bool probing = false;              // half-open: the one probe attempt is in flight
};

enum class Admission {
  run,                  // start it
  run_as_probe,         // start it as the half-open breaker's one probe
  refuse_full,          // every slot of this node is taken
  refuse_app_full,      // this app has its share of the slots
  refuse_breaker_open,  // this app's game server keeps failing: paused (or its probe runs)
};

inline bool admitted(Admission a) { return a == Admission::run || a == Admission::run_as_probe; }

// May an attempt for this app start now, with total_active attempts in flight on this node?
Admission admit(const AppDeliveries& app, size_t total_active, const DeliveryLimits& limits, Millis now);

// How many due jobs of this app a claim may take now, with total_active attempts in flight
// (0 while its breaker is open or its share is taken; 1 for the half-open probe).
size_t claim_quota(const AppDeliveries& app, size_t total_active, const DeliveryLimits& limits, Millis now);

// Bookkeeping around an admitted attempt.
void on_started(AppDeliveries& app, Admission admission);

enum class AttemptResult {
  delivered,   // the game server answered 2xx
  failed,      // the game server failed it: no answer, a timeout, or a non-2xx status
  no_attempt,  // nothing was sent, or the failure was ours (storage, a stale bill copy)
};

// The attempt ended (was_probe: it was started as run_as_probe). A 2xx closes the breaker;
// the breaker_failures-th consecutive failure opens it; a failed probe opens it again.
void on_ended(AppDeliveries& app, AttemptResult result, bool was_probe, const DeliveryLimits& limits,
              Millis now);

// True when the entry carries nothing worth keeping (no attempt in flight, breaker closed,
// no failure counted): the dispatcher forgets it, so its map holds only apps in play.
bool idle(const AppDeliveries& app);

}  // namespace unipay
