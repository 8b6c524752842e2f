// Stripe: webhooks signed with Stripe-Signature (payment_intent.succeeded /
// payment_intent.payment_failed / charge.refunded; the bill is metadata.bill_id), a
// PaymentIntent made at prepare (its client_secret goes to the client's Stripe SDK), queries
// by the bill id in metadata (Search API) and refunds (POST /v1/refunds). Amounts are Stripe's
// integers in the currency's smallest unit, which is unipay's amount_minor.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "net/channels/channel_adapter.hpp"

namespace unipay::channels {

struct StripeCredentials final : ChannelCredentials {
  std::string secret_key;                    // sk_live_... / sk_test_... (or a restricted rk_ key)
  std::vector<std::string> webhook_secrets;  // whsec_...: several while an endpoint's secret rolls
  std::string_view channel() const override { return "stripe"; }
};

std::unique_ptr<ChannelAdapter> make_stripe_adapter();

namespace stripe {
inline constexpr int64_t kToleranceS = 300;
inline constexpr size_t kMaxSignatures = 8;  // v1= entries read from one header

// Checks a Stripe-Signature header ("t=<unix s>,v1=<hex>[,v1=...][,v0=...]") over `body`:
// some v1 equals HMAC-SHA256(secret, "<t>.<body>") for some secret (bad_signature), and t is
// within kToleranceS of now_s (stale_timestamp). Exposed for the known-answer tests.
Status verify_signature(std::string_view header, std::string_view body,
                        const std::vector<std::string>& secrets, int64_t now_s);
// The PaymentIntent with this id, read for `bill` (when the wiring knows the trade number).
Step<ProviderResult> retrieve_payment_intent(const ChannelContext& context, const BillView& bill,
                                             std::string_view payment_intent_id);
}  // namespace stripe

}  // namespace unipay::channels
