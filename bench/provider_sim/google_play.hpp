// Google Play as the simulator plays it (the google channel, docs/CHANNELS.md):
//   POST /token  grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>
//       Google's OAuth 2.0 token endpoint: the RS256 assertion of a service account the
//       simulator made (iss, aud = token_uri, scope androidpublisher, iat/exp within an hour)
//       → {"access_token","expires_in","token_type":"Bearer"}; else {"error":"invalid_grant",...}
//   GET  /androidpublisher/v3/applications/{pkg}/purchases/products/{productId}/tokens/{token}
//   POST .../tokens/{token}:acknowledge
//       the Play Developer API v3 with the Bearer access token: a ProductPurchase, Google's
//       error JSON for an unknown token (404) or a missing/expired token (401), another
//       package than the account's (403).
// Control endpoints (JSON, POST unless said):
//   /sim/google/credentials {"package_name", "products": {productId: item_id}, ["pubsub_audience"]}
//       → {"credentials": the app's google channel}: a new service account whose token_uri is
//         this simulator's /token, and pubsub_certs with Google's push key by kid
//   /sim/google/purchases {"package_name", "product_id", "obfuscated_account_id", ["token",
//       "order_id", "purchase_state" (0 purchased, 1 canceled, 2 pending), "region_code"]}
//       → the purchase (creates or replaces)
//   GET /sim/google/purchases/{token} → the purchase, with its acknowledgements count
//   /sim/google/void {"token"} → the purchase, voided (refunded by Google)
//   /sim/google/notify {"token", "type" (purchased | voided | test), ["url", "audience",
//       "message_id", "subscription", "tamper" (audience | kid | signature | no_bearer),
//       "package_name", "product_id"]}
//       → Pub/Sub's push of the real-time developer notification to `url` (OIDC bearer token
//         signed RS256 by Google's key): {"status", "body", "message_id"}; without `url`:
//         {"headers", "body", "message_id"} for the test to post itself
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "actors/delivery_transport.hpp"
#include "net/http_types.hpp"

namespace unipay::sim {

class GoogleBooks;

class GooglePlay {
 public:
  GooglePlay();
  ~GooglePlay();
  GooglePlay(const GooglePlay&) = delete;
  GooglePlay& operator=(const GooglePlay&) = delete;

  // /token and /androidpublisher/...: the paths of Google's APIs.
  static bool serves(std::string_view path);
  http::Response api(const http::Request& request, int64_t now_s);
  // /sim/google/...; answers through `respond` (later, on an io thread, for a push).
  void control(DeliveryTransport& transport, const http::Request& request, int64_t now_s,
               const http::Responder& respond);

 private:
  std::unique_ptr<GoogleBooks> books_;
};

// The simulator's base URL as the caller reached it (http://<Host header>): token_uri.
std::string base_url_of(const http::Request& request);

}  // namespace unipay::sim
