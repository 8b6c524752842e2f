#include "actors/delivery_attempt.hpp"

#include "actors/delivery_url.hpp"
#include "net/bill_json.hpp"
#include "net/signing.hpp"

namespace unipay {

Result<OutboundRequest> build_delivery_request(const DeliveryTarget& target, const Bill& bill, int attempt,
                                               int64_t now_s, const std::string& nonce,
                                               std::chrono::milliseconds timeout,
                                               const std::string& ledger_entry_json) {
  auto url = parse_url(target.delivery_url);
  if (!url) return url.error();
  OutboundRequest request;
  request.url = target.delivery_url;
  request.body = delivery_body(bill, delivery_id_for(bill.bill_id, bill.state), attempt, ledger_entry_json);
  request.timeout = timeout;
  std::string timestamp = std::to_string(now_s);
  std::string signature =
      signing::sign_request(target.secret, "POST", url->path_with_query, timestamp, nonce, request.body);
  request.headers = {{"X-Unipay-App", target.app_id},
                     {"X-Unipay-Timestamp", timestamp},
                     {"X-Unipay-Nonce", nonce},
                     {"X-Unipay-Signature", std::move(signature)}};
  return request;
}

AttemptOutcome classify_attempt(const Result<OutboundResponse>& response) {
  if (!response) return {false, std::nullopt, recordable_error(response.error().message)};
  const int status = response->status;
  if (status >= 200 && status <= 299) return {true, status, ""};
  return {false, status, "game server answered " + std::to_string(status)};
}

std::string recordable_error(std::string_view text, size_t max_bytes) {
  std::string out(text.substr(0, max_bytes));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';  // char may be signed: bytes >= 0x80 are negative
  }
  return out;
}

}  // namespace unipay
