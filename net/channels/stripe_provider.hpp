// Stripe's side of webhooks, for the provider simulator and tests: the Stripe-Signature
// header Stripe sends with an event. unipayd does not use this.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace unipay::channels::stripe {

// "t=<timestamp_s>,v1=<hex HMAC-SHA256(secret, "<timestamp_s>.<body>")>".
std::string signature_header(std::string_view webhook_secret, int64_t timestamp_s, std::string_view body);

}  // namespace unipay::channels::stripe
