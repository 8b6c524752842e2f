// Apple App Store (StoreKit 2, App Store Server API and Server Notifications V2): signed
// transactions are ES256 JWS whose x5c chain must lead to the app's configured root
// (net/channels/apple_chain.hpp); then bundle id and environment; the transaction names its
// bill by appAccountToken (net/channels/app_account_token.hpp) and its productId maps through
// the app's `products` to the bill's item. Receipts: the signedTransactionInfo JWS, or a bare
// transactionId looked up with GET /inApps/v1/transactions/{id} (an ES256 API token).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "net/channels/apple_chain.hpp"
#include "net/channels/channel_adapter.hpp"
#include "net/channels/jose.hpp"

namespace unipay::channels {

struct AppleCredentials final : ChannelCredentials {
  AppleCredentials(apple::TrustedRoots roots, jose::EcPrivateKey key)
      : root_certificates(std::move(roots)), private_key(std::move(key)) {}
  std::string bundle_id;
  std::string environment;                // "Production" or "Sandbox": signed data of the other is refused
  apple::TrustedRoots root_certificates;  // Apple Root CA - G3 in production
  std::string issuer_id;                  // App Store Connect API key: issuer, key id, .p8 key
  std::string key_id;
  jose::EcPrivateKey private_key;
  std::map<std::string, std::string, std::less<>> products;  // productId → item_id
  std::string_view channel() const override { return "apple"; }
};

std::unique_ptr<ChannelAdapter> make_apple_adapter();

namespace apple {
// The payload of an App Store signed object once the x5c chain (at the payload's signedDate,
// now_s when it has none) and the ES256 signature verify: bad_signature otherwise,
// invalid_parameter when not a JWS. Checks nothing in the payload (renewal infos pass too).
Result<json::Value> verify_signed_data(std::string_view jws, const TrustedRoots& roots, int64_t now_s,
                                       const json::ParseLimits& limits = {});
// A signedTransactionInfo: verify_signed_data, then bundleId and environment (conflict).
Result<json::Value> verify_transaction(std::string_view jws, const AppleCredentials& credentials,
                                       int64_t now_s, const json::ParseLimits& limits = {});
// A notification's signedPayload: verify_signed_data, then data.bundleId and data.environment.
Result<json::Value> verify_notification(std::string_view signed_payload, const AppleCredentials& credentials,
                                        int64_t now_s, const json::ParseLimits& limits = {});
// The App Store Server API token (ES256, kid = key_id; iss, iat, exp, aud, bid).
Result<std::string> api_token(const AppleCredentials& credentials, int64_t now_s);
// GET {environment's base URL}/inApps/v1/transactions/{transaction_id}, verified and read
// like a receipt for `bill`.
Step<ProviderResult> lookup_transaction(const ChannelContext& context, const BillView& bill,
                                        std::string_view transaction_id);
}  // namespace apple

}  // namespace unipay::channels
