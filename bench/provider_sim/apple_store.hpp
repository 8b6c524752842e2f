// The App Store as the simulator plays it: a run-time test PKI (net/channels/apple_provider)
// that signs transactions and Server Notifications V2 like Apple, credentials for a unipay
// app's `apple` channel that trust its root, and the App Store Server API's transaction
// lookup. Control endpoints (JSON, POST):
//   /sim/apple/credentials {"bundle_id", "environment", "products": {productId: item_id}}
//                          → {"credentials": the app's apple channel, root and API key included}
//   /sim/apple/transaction {"bundle_id", "environment", "product_id", "transaction_id",
//                           "app_account_token", ["revoked", "other_root"]} → {"jws"}; the
//                          transaction is recorded for the lookup
//   /sim/apple/notification {"type", the transaction's fields} → {"body"}: the JSON body
//                          Apple posts ({"signedPayload"}), for the test to post itself
// "other_root": signed by a second PKI no app trusts.
// App Store Server API: GET /inApps/v1/transactions/{transactionId} with an ES256 bearer JWT
// checked as Apple does (kid of a key made by /sim/apple/credentials, iss, aud
// appstoreconnect-v1, bid, iat/exp at most an hour apart and current) → {"signedTransactionInfo"}
// of a recorded transaction of that bundle; 401 for a bad token, 404 for an unknown id.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "net/channels/jose.hpp"
#include "net/http_types.hpp"

namespace unipay::sim {

class AppleStore {
 public:
  static constexpr size_t kMaxAccounts = 10000;  // beyond: refused (a runaway test)
  static constexpr size_t kMaxTransactions = 1000000;

  static bool serves(std::string_view path) { return path.starts_with("/inApps/"); }
  http::Response api(const http::Request& request, int64_t now_s);
  http::Response control(const http::Request& request, int64_t now_s);

 private:
  struct ApiKey {  // an App Store Connect API key as Apple knows it
    std::string issuer_id;
    std::string bundle_id;
    channels::jose::EcPublicKey key;
  };
  http::Response credentials(const json::Value& body);
  http::Response transaction(const json::Value& body, int64_t now_s);
  Result<std::string> bearer_bundle(const http::Request& request, int64_t now_s) const;

  // Guards only these maps; never held while signing.
  mutable std::mutex mutex_;
  std::map<std::string, ApiKey, std::less<>> keys_;               // by key id
  std::map<std::string, std::string, std::less<>> transactions_;  // by id: the control body that made it
};

}  // namespace unipay::sim
