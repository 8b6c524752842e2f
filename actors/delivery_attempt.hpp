// Builds one signed delivery request (pure apart from the nonce and clock it is given), and
// says what an attempt's outcome puts on record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actors/delivery_transport.hpp"
#include "storage/bill.hpp"

namespace unipay {

struct DeliveryTarget {
  std::string app_id;
  std::string delivery_url;
  std::string secret;  // the app's current HMAC secret
};

// POST <delivery_url> with the X-Unipay-* signature headers over the URL's path and query.
// `ledger_entry_json`: a recharge bill's wallet credit, carried in the body ("" for none).
Result<OutboundRequest> build_delivery_request(const DeliveryTarget& target, const Bill& bill, int attempt,
                                               int64_t now_s, const std::string& nonce,
                                               std::chrono::milliseconds timeout,
                                               const std::string& ledger_entry_json = "");

// What an attempt's answer means and what its record says.
struct AttemptOutcome {
  bool delivered = false;          // the game server answered 2xx
  std::optional<int> http_status;  // none: no HTTP answer (network error, timeout, refused address)
  std::string error;               // "" when delivered
};
AttemptOutcome classify_attempt(const Result<OutboundResponse>& response);

// Error texts kept on record (attempt rows, the job's last_error) are at most this long.
constexpr size_t kMaxRecordedErrorBytes = 500;

// The text as stored: at most max_bytes, printable ASCII only (every other byte becomes '?'),
// so no message from a peer or the network can make the row's text invalid for PostgreSQL
// (NUL, invalid UTF-8) or cut a character in half.
std::string recordable_error(std::string_view text, size_t max_bytes = kMaxRecordedErrorBytes);

}  // namespace unipay
