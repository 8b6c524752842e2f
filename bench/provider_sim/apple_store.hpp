// The App Store as the simulator plays it: a run-time test PKI (net/channels/apple_provider)
// that signs transactions and Server Notifications V2 like Apple, and credentials for a
// unipay app's `apple` channel that trust its root. Control endpoints (JSON, POST):
//   /sim/apple/credentials {"bundle_id", "environment", "products": {productId: item_id}}
//                          → {"credentials": the app's apple channel, root included}
//   /sim/apple/transaction {"bundle_id", "environment", "product_id", "transaction_id",
//                           "app_account_token", ["revoked", "other_root"]} → {"jws"}
//   /sim/apple/notification {"type", the transaction's fields} → {"body"}: the JSON body
//                          Apple posts ({"signedPayload"}), for the test to post itself
// "other_root": signed by a second PKI no app trusts. No App Store Server API lookups.
#pragma once

#include <cstdint>

#include "net/http_types.hpp"

namespace unipay::sim {

http::Response apple_control(const http::Request& request, int64_t now_s);

}  // namespace unipay::sim
