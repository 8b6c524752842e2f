// Stripe's API as the stripe adapter uses it (/v1/payment_intents: create, retrieve, search
// by metadata['bill_id']; /v1/refunds), with Bearer secret-key auth, and the webhook events
// Stripe sends (payment_intent.succeeded / payment_intent.payment_failed / charge.refunded)
// signed with Stripe-Signature. The simulator keeps one PaymentIntent per merchant and
// metadata[bill_id]; its id encodes the bill id, so a retrieve needs no second index.
#pragma once

#include <cstdint>
#include <string>

#include "bench/provider_sim/notifications.hpp"
#include "bench/provider_sim/sim_state.hpp"
#include "net/http_types.hpp"

namespace unipay::sim {

http::Response stripe_api(SimState& state, const http::Request& request, int64_t now_s);

// "pi_" + the bill id in hex: the PaymentIntent of a bill.
std::string stripe_intent_id(std::string_view bill_id);

// outcomes: paid (payment_intent.succeeded), failed (payment_intent.payment_failed),
// refunded (charge.refunded); tampering: signature, amount, currency, stale_timestamp.
Result<Notification> stripe_notification(const StripeMerchant& merchant, const NotifyInput& input,
                                         int64_t now_s);

}  // namespace unipay::sim
