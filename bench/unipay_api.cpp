#include "bench/unipay_api.hpp"

#include <atomic>
#include <chrono>

#include "net/crypto.hpp"
#include "net/json.hpp"
#include "net/signing.hpp"

namespace unipay::bench {

namespace {

// Nonces: a random per-process prefix and a counter. Unique for the run's fresh app, and
// cheaper than 128 fresh random bits per request.
std::string next_nonce() {
  static const std::string prefix = crypto::random_hex(8);
  static std::atomic<uint64_t> counter{0};
  return prefix + "n" + std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

std::string unix_seconds() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count());
}

}  // namespace

const json::Value* json_member(const json::Value* object, std::string_view key) {
  return object && object->is_object() ? object->find(key) : nullptr;
}

std::string json_string(const json::Value* object, std::string_view key) {
  const json::Value* v = json_member(object, key);
  return v && v->kind == json::Value::Kind::string ? v->string : std::string();
}

std::optional<int64_t> json_integer(const json::Value* object, std::string_view key) {
  const json::Value* v = json_member(object, key);
  if (!v || v->kind != json::Value::Kind::integer) return std::nullopt;
  return v->integer;
}

std::string sign_app_request(ClientRequest& r, const AppCreds& app) {
  std::string nonce = next_nonce();
  std::string ts = unix_seconds();
  std::string signature = signing::sign_request(app.secret, r.method, r.target, ts, nonce, r.body);
  r.headers.emplace_back("X-Unipay-App", app.app_id);
  r.headers.emplace_back("X-Unipay-Timestamp", ts);
  r.headers.emplace_back("X-Unipay-Nonce", nonce);
  r.headers.emplace_back("X-Unipay-Signature", std::move(signature));
  return nonce;
}

std::string answer_error_kind(const ClientResponse& r) {
  if (r.status == 0) return "no_answer:" + r.error;
  std::string kind = "http_" + std::to_string(r.status);
  auto body = json::parse(r.body);
  if (body) {
    std::string code = json_string(json_member(&*body, "error"), "code");
    if (!code.empty()) kind += ":" + code;
  }
  return kind;
}

ClientRequest create_app_request(const std::string& admin_token, const std::string& delivery_url,
                                 const std::string& sandbox_secret,
                                 const std::vector<ChannelCredentials>& more) {
  json::Writer w;
  w.begin_object().key("name").string("unipay-bench " + crypto::random_hex(4));
  w.key("delivery_url").string(delivery_url);
  w.key("channels").begin_object().key("sandbox").begin_object().key("secret").string(sandbox_secret);
  w.end_object();
  for (const ChannelCredentials& c : more) w.key(c.channel).raw(c.credentials_json);
  w.end_object().end_object();
  ClientRequest r = json_post("/v1/admin/apps", w.take());
  r.headers.emplace_back("Authorization", "Bearer " + admin_token);
  return r;
}

bool parse_app_answer(const ClientResponse& r, AppCreds& app) {
  if (r.status != 201) return false;
  auto body = json::parse(r.body);
  if (!body) return false;
  app.app_id = json_string(json_member(&*body, "app"), "app_id");
  app.secret = json_string(&*body, "secret");
  return !app.app_id.empty() && !app.secret.empty();
}

ClientRequest create_bill_request(const AppCreds& app, const std::string& user_id, std::string& nonce,
                                  const std::string& channel) {
  json::Writer w;
  w.begin_object().key("user_id").string(user_id).key("item_id").string("gem_pack");
  w.key("channel").string(channel).key("amount").integer(kBillAmountMinor);
  w.key("currency").string(bill_currency(channel)).end_object();
  ClientRequest r = json_post("/v1/bills", w.take());
  nonce = sign_app_request(r, app);
  return r;
}

bool parse_create_answer(const ClientResponse& r, const AppCreds& app, const std::string& nonce,
                         CreatedBill& bill, std::string& error_kind) {
  if (r.status != 201) {
    error_kind = answer_error_kind(r);
    return false;
  }
  if (!crypto::constant_time_equal(r.signature,
                                   signing::sign_response(app.secret, r.status, nonce, r.body))) {
    error_kind = "bad_answer_signature";
    return false;
  }
  auto body = json::parse(r.body);
  if (body) {
    bill.bill_id = json_string(json_member(&*body, "bill"), "bill_id");
    bill.client_token = json_string(&*body, "client_token");
    bill.order_string = json_string(json_member(&*body, "pay"), "order_string");
    bill.app_account_token = json_string(json_member(&*body, "pay"), "app_account_token");
  }
  if (bill.bill_id.empty() || bill.client_token.empty()) {
    error_kind = "malformed_answer";
    return false;
  }
  return true;
}

ClientRequest longpoll_request(const CreatedBill& bill, int timeout_s, const char* until) {
  ClientRequest r;
  r.target = "/v1/bills/" + bill.bill_id + "/result?timeout=" + std::to_string(timeout_s) + "&until=" + until;
  r.headers.emplace_back("Authorization", "Bearer " + bill.client_token);
  // The server answers at timeout_s; the grace covers a busy server and the network.
  r.timeout = std::chrono::milliseconds(timeout_s * 1000 + 15000);
  return r;
}

bool parse_poll_answer(const ClientResponse& r, PollAnswer& answer) {
  if (r.status != 200) return false;
  auto body = json::parse(r.body);
  if (!body) return false;
  answer.state = json_string(json_member(&*body, "bill"), "state");
  const json::Value* timed_out = json_member(&*body, "timed_out");
  if (!timed_out || timed_out->kind != json::Value::Kind::boolean || answer.state.empty()) return false;
  answer.timed_out = timed_out->boolean;
  return true;
}

ClientRequest get_bill_request(const CreatedBill& bill) {
  ClientRequest r;
  r.target = "/v1/bills/" + bill.bill_id;
  r.headers.emplace_back("Authorization", "Bearer " + bill.client_token);
  return r;
}

ClientRequest get_bill_signed_request(const AppCreds& app, const std::string& bill_id) {
  ClientRequest r;
  r.target = "/v1/bills/" + bill_id;
  sign_app_request(r, app);
  return r;
}

std::string bill_state_of(const ClientResponse& r) {
  if (r.status != 200) return {};
  auto body = json::parse(r.body);
  return body ? json_string(json_member(&*body, "bill"), "state") : std::string();
}

ClientRequest callback_request(const AppCreds& app, const std::string& bill_id, const std::string& trade_no) {
  json::Writer w;
  w.begin_object().key("bill_id").string(bill_id).key("trade_no").string(trade_no);
  w.key("status").string("success").key("amount").integer(kBillAmountMinor);
  w.key("currency").string(kBillCurrency).end_object();
  ClientRequest r = json_post("/v1/callbacks/" + app.app_id + "/sandbox", w.take());
  r.headers.emplace_back("X-Sandbox-Signature", crypto::hmac_sha256_hex(app.sandbox_secret, r.body));
  return r;
}

const char* bill_currency(const std::string& channel) { return channel == "sandbox" ? kBillCurrency : "CNY"; }

bool final_state(const std::string& state) {
  return state == "delivered" || state == "failed" || state == "closed" || state == "refunded";
}

}  // namespace unipay::bench
