// Google Play's JSON as the simulator writes it: the ProductPurchase resource, Google's API
// error envelope, and the real-time developer notification inside a Pub/Sub push.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/provider_sim/google_books.hpp"
#include "net/http_types.hpp"

namespace unipay::sim {

// androidpublisher#productPurchase, with Google's field names and types (int64 as strings).
std::string product_purchase_json(const GooglePurchase& purchase);

// {"error": {"code", "message", "errors": [{"message", "domain": "global", "reason"}], "status"}}
http::Response google_error(int status, std::string_view message, std::string_view reason);
// 401 for a request without a valid access token, worded as Google words it.
http::Response google_unauthenticated();

// DeveloperNotification: type purchased (oneTimeProductNotification, PURCHASED = 1), voided
// (voidedPurchaseNotification with the order id) or test (testNotification).
std::string developer_notification_json(std::string_view type, const GooglePurchase& purchase,
                                        int64_t now_ms);

// RFC 3339 UTC (milliseconds) as Pub/Sub writes publishTime.
std::string publish_time(int64_t now_ms);

}  // namespace unipay::sim
