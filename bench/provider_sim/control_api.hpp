// The simulator's control API (JSON, under /sim/), for tests and developers:
//   POST /sim/merchants {"channel"}                     → the credentials to put into the unipay app
//   POST /sim/orders {"channel", "order_string"}        → Alipay's app: the payer pays that order
//   POST /sim/orders {"channel", "merchant", "bill_id", "state", ["amount_minor", "currency",
//                     "notify_url", "subject"]}          → creates or marks an order (no notification)
//   GET  /sim/orders/{channel}/{merchant}/{bill_id}      → the order as the simulator sees it
//   POST /sim/notify {"channel", "merchant", "bill_id", ["outcome", "url", "tamper",
//                     "amount_minor", "currency", "send"]} → sends a signed notification
//   POST /sim/outage {"requests"}                       → the next N provider API calls get 503
//   POST /sim/apple/...                                 → App Store signed data (apple_store.hpp)
// See docs/CHANNELS.md ("Trying a channel with the simulator").
#pragma once

#include <cstdint>
#include <functional>

#include "actors/delivery_transport.hpp"
#include "bench/provider_sim/sim_state.hpp"
#include "net/http_types.hpp"

namespace unipay::sim {

// Answers through `respond` (later, on an io thread, for /sim/notify that sends).
void control_api(SimState& state, DeliveryTransport& transport, const http::Request& request, int64_t now_s,
                 const http::Responder& respond);

}  // namespace unipay::sim
