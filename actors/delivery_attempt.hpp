// Builds one signed delivery request (pure apart from the nonce and clock it is given).
#pragma once

#include <cstdint>
#include <string>

#include "actors/delivery_transport.hpp"
#include "storage/bill.hpp"

namespace unipay {

struct DeliveryTarget {
  std::string app_id;
  std::string delivery_url;
  std::string secret;  // the app's current HMAC secret
};

// POST <delivery_url> with the X-Unipay-* signature headers over the URL's path and query.
Result<OutboundRequest> build_delivery_request(const DeliveryTarget& target, const Bill& bill, int attempt,
                                               int64_t now_s, const std::string& nonce,
                                               std::chrono::milliseconds timeout);

}  // namespace unipay
