// The unipay HTTP API as the bench speaks it (docs/API.md): signed app requests, client-token
// long polls, sandbox provider callbacks, and the answers' few fields the bench needs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/http_client.hpp"
#include "net/json.hpp"

namespace unipay::bench {

struct AppCreds {
  std::string app_id;
  std::string secret;          // HMAC secret of signed app requests
  std::string sandbox_secret;  // HMAC secret of sandbox callbacks
};

struct CreatedBill {
  std::string bill_id;
  std::string client_token;
  std::string order_string;       // alipay: the answer's pay.order_string, for the payer's app
  std::string app_account_token;  // apple: the answer's pay.app_account_token, for StoreKit
};

struct PollAnswer {
  std::string state;
  bool timed_out = true;
};

constexpr int64_t kBillAmountMinor = 499;     // cents
constexpr const char* kBillCurrency = "USD";  // sandbox bills
// The bills' currency on a channel: Alipay and WeChat Pay bills are in their home
// currency, CNY (no trans_currency, as most merchants have them).
const char* bill_currency(const std::string& channel);

// A short error kind for an unexpected answer: "no_answer:<kind>", "http_<status>:<code>".
std::string answer_error_kind(const ClientResponse& r);

// A channel's credentials as the app stores them: name and the JSON object (raw text).
struct ChannelCredentials {
  std::string channel;
  std::string credentials_json;
};

// The bench's app: the sandbox channel with `sandbox_secret`, and `more` channels.
ClientRequest create_app_request(const std::string& admin_token, const std::string& delivery_url,
                                 const std::string& sandbox_secret,
                                 const std::vector<ChannelCredentials>& more = {});
bool parse_app_answer(const ClientResponse& r, AppCreds& app);

// POST /v1/bills for `channel`, signed; `nonce` receives the nonce (to check the answer's
// signature).
ClientRequest create_bill_request(const AppCreds& app, const std::string& user_id, std::string& nonce,
                                  const std::string& channel = "sandbox");
// 201 with a valid answer signature, bill_id and client_token.
bool parse_create_answer(const ClientResponse& r, const AppCreds& app, const std::string& nonce,
                         CreatedBill& bill, std::string& error_kind);

// GET /v1/bills/{id}/result?timeout=T&until=U with the client token.
ClientRequest longpoll_request(const CreatedBill& bill, int timeout_s, const char* until);
bool parse_poll_answer(const ClientResponse& r, PollAnswer& answer);

// GET /v1/bills/{id} with the client token.
ClientRequest get_bill_request(const CreatedBill& bill);

// GET /v1/bills/{id}, signed with the app secret (no client token needed).
ClientRequest get_bill_signed_request(const AppCreds& app, const std::string& bill_id);
// The bill's state from a 200 {"bill": ...} answer, or "".
std::string bill_state_of(const ClientResponse& r);

// POST /v1/callbacks/{app}/sandbox, a success for the bill's amount.
ClientRequest callback_request(const AppCreds& app, const std::string& bill_id, const std::string& trade_no);

// Adds the app signature headers (X-Unipay-App/-Timestamp/-Nonce/-Signature, a fresh
// nonce) for the request's method, target and body; returns the nonce.
std::string sign_app_request(ClientRequest& r, const AppCreds& app);

// A member of a JSON object (nullptr when absent or not an object), and a string or
// integer member (empty / std::nullopt when absent or of another kind).
const json::Value* json_member(const json::Value* object, std::string_view key);
std::string json_string(const json::Value* object, std::string_view key);
std::optional<int64_t> json_integer(const json::Value* object, std::string_view key);

// Is the state one a long poll with until=delivered ends on?
bool final_state(const std::string& state);

}  // namespace unipay::bench
