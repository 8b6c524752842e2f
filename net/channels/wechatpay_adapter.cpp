#include "net/channels/wechatpay_adapter.hpp"

#include <charconv>

#include "net/aead.hpp"
#include "net/base64.hpp"
#include "net/channels/credential_fields.hpp"
#include "net/channels/form.hpp"
#include "net/channels/provider_time.hpp"
#include "net/channels/wechatpay_format.hpp"
#include "net/crypto.hpp"
#include "net/http_errors.hpp"

namespace unipay::channels {
namespace {

constexpr size_t kNonceHexBytes = 16;  // 32 hex characters, WeChat's nonce length
constexpr size_t kMaxPlatformKeys = 8;
constexpr size_t kMaxOrderFieldBytes = 64;
constexpr std::string_view kAppPayPath = "/v3/pay/transactions/app";
constexpr std::string_view kQueryPath = "/v3/pay/transactions/out-trade-no/";
constexpr std::string_view kRefundPath = "/v3/refund/domestic/refunds";

using Kind = json::Value::Kind;

Error invalid(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }
Error unknown_outcome(std::string message) { return make_error(Errc::server_busy, std::move(message)); }

std::string text_of(const json::Value& object, std::string_view key) {
  const json::Value* value = object.is_object() ? object.find(key) : nullptr;
  return value && value->kind == Kind::string ? value->string : std::string();
}

Result<ProviderStatus> map_trade_state(std::string_view state) {
  if (state == "SUCCESS") return ProviderStatus::paid;
  if (state == "REFUND") return ProviderStatus::refunded;
  if (state == "NOTPAY" || state == "USERPAYING") return ProviderStatus::pending;
  if (state == "CLOSED" || state == "REVOKED") return ProviderStatus::closed;
  if (state == "PAYERROR") return ProviderStatus::failed;
  return invalid("unknown trade_state " + std::string(state.substr(0, 32)));
}

// amount.<key>: a non-negative integer number of fen (minor units).
Result<int64_t> amount_field(const json::Value& amount, std::string_view key) {
  const json::Value* value = amount.is_object() ? amount.find(key) : nullptr;
  if (!value || value->kind != Kind::integer || value->integer < 0) {
    return invalid("amount." + std::string(key) + " must be a non-negative integer");
  }
  return value->integer;
}

Status check_merchant(const json::Value& object, const WechatpayCredentials& credentials,
                      bool appid_required) {
  const std::string mchid = text_of(object, "mchid");
  if (mchid != credentials.mchid)
    return make_error(Errc::conflict, "mchid " + mchid.substr(0, 32) + " is not this app's merchant");
  const std::string appid = text_of(object, "appid");
  if ((appid_required || !appid.empty()) && appid != credentials.appid) {
    return make_error(Errc::conflict, "appid " + appid.substr(0, 32) + " is not this app's appid");
  }
  return ok_status();
}

Status read_order_ids(const json::Value& object, ProviderResult& result, std::string_view trade_no_key) {
  result.bill_id = text_of(object, "out_trade_no");
  result.trade_no = text_of(object, trade_no_key);
  if (result.bill_id.empty() || result.bill_id.size() > kMaxOrderFieldBytes ||
      result.trade_no.size() > kMaxOrderFieldBytes) {
    return invalid("out_trade_no is required and, like the transaction id, at most 64 bytes");
  }
  return ok_status();
}

// A transaction (TRANSACTION.* resource, or a query answer).
Result<ProviderResult> read_transaction(const json::Value& tx, const WechatpayCredentials& credentials) {
  if (auto s = check_merchant(tx, credentials, true); !s) return s.error();
  ProviderResult result;
  if (auto s = read_order_ids(tx, result, "transaction_id"); !s) return s.error();
  auto status = map_trade_state(text_of(tx, "trade_state"));
  if (!status) return status.error();
  result.status = *status;
  const json::Value* amount = tx.find("amount");
  const bool money_moved = result.status == ProviderStatus::paid || result.status == ProviderStatus::refunded;
  if (amount || money_moved) {
    if (!amount) return invalid("amount is required");
    auto total = amount_field(*amount, "total");
    if (!total) return total.error();
    result.amount_minor = *total;
    result.currency = text_of(*amount, "currency");
    if (result.currency.size() != 3) return invalid("amount.currency must be a three-letter code");
  }
  result.merchant_id = credentials.mchid;
  result.provider_app_id = credentials.appid;
  return result;
}

// A refund (REFUND.* resource): refunded once refund_status is SUCCESS.
Result<ProviderResult> read_refund(const json::Value& refund, const WechatpayCredentials& credentials) {
  if (auto s = check_merchant(refund, credentials, false); !s) return s.error();
  ProviderResult result;
  if (auto s = read_order_ids(refund, result, "transaction_id"); !s) return s.error();
  result.status =
      text_of(refund, "refund_status") == "SUCCESS" ? ProviderStatus::refunded : ProviderStatus::unrelated;
  const json::Value* amount = refund.find("amount");
  if (!amount) return invalid("amount is required");
  auto total = amount_field(*amount, "total");
  auto refunded = amount_field(*amount, "refund");
  if (!total) return total.error();
  if (!refunded) return refunded.error();
  result.amount_minor = *total;
  result.refund_amount_minor = *refunded;
  result.refund_id = text_of(refund, "refund_id");
  result.merchant_id = credentials.mchid;
  return result;
}

Result<ProviderResult> read_notification(const json::Value& body, const WechatpayCredentials& credentials,
                                         const json::ParseLimits& limits) {
  if (!body.is_object()) return invalid("the body must be a JSON object");
  const std::string event_type = text_of(body, "event_type");
  const json::Value* resource = body.find("resource");
  if (event_type.empty() || !resource || !resource->is_object())
    return invalid("event_type and resource are required");
  auto plaintext = wechatpay::decrypt_resource(*resource, credentials.apiv3_key);
  if (!plaintext) return plaintext.error();
  auto object = json::parse(*plaintext, limits);
  if (!object || !object->is_object()) return invalid("the decrypted resource is not a JSON object");
  if (event_type.starts_with("TRANSACTION.")) return read_transaction(*object, credentials);
  if (event_type.starts_with("REFUND.")) return read_refund(*object, credentials);
  if (auto s = check_merchant(*object, credentials, false); !s) return s.error();
  ProviderResult unrelated;
  unrelated.merchant_id = credentials.mchid;
  return unrelated;
}

// A signed merchant request to the API: Authorization over METHOD, path, timestamp, nonce, body.
Result<OutboundRequest> signed_request(const WechatpayCredentials& credentials, std::string_view method,
                                       std::string_view base_url, std::string_view path_with_query,
                                       std::string body, int64_t now_s) {
  wechatpay::Authorization a;
  a.mchid = credentials.mchid;
  a.nonce_str = crypto::random_hex(kNonceHexBytes);
  a.timestamp = std::to_string(now_s);
  a.serial_no = credentials.merchant_serial;
  const std::string signed_path = std::string(wechatpay::url_path(base_url)) + std::string(path_with_query);
  auto signature = credentials.merchant_private_key.sign_sha256(
      wechatpay::request_message(method, signed_path, a.timestamp, a.nonce_str, body));
  if (!signature) return signature.error();
  a.signature = base64::encode(*signature);
  OutboundRequest request;
  request.method = std::string(method);
  request.url = std::string(base_url) + std::string(path_with_query);
  request.headers = {{"authorization", wechatpay::format_authorization(a)}, {"accept", "application/json"}};
  if (!body.empty()) request.headers.push_back({"content-type", "application/json"});
  request.body = std::move(body);
  return request;
}

std::string prepay_body(const WechatpayCredentials& credentials, const PrepareInput& input) {
  json::Writer out;
  out.begin_object();
  out.key("appid").string(credentials.appid);
  out.key("mchid").string(credentials.mchid);
  out.key("description").string(input.bill.item_id);
  out.key("out_trade_no").string(input.bill.bill_id);
  if (input.bill.expires_at_s > 0)
    out.key("time_expire").string(format_beijing_time(input.bill.expires_at_s, "%Y-%m-%dT%H:%M:%S+08:00"));
  out.key("notify_url").string(input.notify_url);
  out.key("amount").begin_object().key("total").integer(input.bill.amount_minor);
  out.key("currency").string(input.bill.currency).end_object();
  out.end_object();
  return out.take();
}

// A non-2xx API answer: WeChat's own refusal (4xx but 429) cannot succeed by retrying.
Error api_error(const OutboundResponse& response, std::string_view what) {
  auto body = json::parse(response.body);
  std::string detail = body ? text_of(*body, "code") + " " + text_of(*body, "message") : std::string();
  std::string message = "WeChat Pay " + std::string(what) + " answered HTTP " +
                        std::to_string(response.status) +
                        (detail.size() > 1 ? ": " + detail.substr(0, 200) : "");
  const bool refusal = response.status >= 400 && response.status < 500 && response.status != 429;
  return refusal ? invalid(std::move(message)) : unknown_outcome(std::move(message));
}

// The answer's JSON once its signature verified; server_busy otherwise (outcome unknown).
Result<json::Value> verified_answer(const OutboundResponse& response, const WechatpayCredentials& credentials,
                                    int64_t now_s) {
  auto verified =
      wechatpay::verify_signature(response.headers, response.body, credentials.platform_keys, now_s);
  if (!verified) return unknown_outcome("WeChat Pay's answer does not verify: " + verified.error().message);
  auto body = json::parse(response.body);
  if (!body || !body->is_object()) return unknown_outcome("WeChat Pay's answer is not a JSON object");
  return body;
}

Step<PayParameters> app_pay_parameters(const OutboundResponse& response,
                                       const WechatpayCredentials& credentials, int64_t now_s) {
  if (response.status != 200) return api_error(response, "prepay");
  auto body = verified_answer(response, credentials, now_s);
  if (!body) return body.error();
  const std::string prepay_id = text_of(*body, "prepay_id");
  if (prepay_id.empty()) return unknown_outcome("WeChat Pay's prepay answer has no prepay_id");
  const std::string timestamp = std::to_string(now_s);
  const std::string noncestr = crypto::random_hex(kNonceHexBytes);
  auto sign = credentials.merchant_private_key.sign_sha256(
      wechatpay::app_pay_message(credentials.appid, timestamp, noncestr, prepay_id));
  if (!sign) return sign.error();
  json::Writer out;
  out.begin_object();
  out.key("appid").string(credentials.appid);
  out.key("partnerid").string(credentials.mchid);
  out.key("prepayid").string(prepay_id);
  out.key("package").string("Sign=WXPay");
  out.key("noncestr").string(noncestr);
  out.key("timestamp").string(timestamp);
  out.key("sign").string(base64::encode(*sign));
  out.end_object();
  return PayParameters{out.take()};
}

Step<ProviderResult> query_result(const OutboundResponse& response, const WechatpayCredentials& credentials,
                                  const std::string& bill_id, int64_t now_s) {
  if (response.status == 404) {
    auto body = verified_answer(response, credentials, now_s);
    if (!body) return body.error();
    if (text_of(*body, "code") != "ORDER_NOT_EXIST") return api_error(response, "query");
    ProviderResult none;
    none.status = ProviderStatus::pending;
    none.bill_id = bill_id;
    return none;
  }
  if (response.status != 200) return api_error(response, "query");
  auto body = verified_answer(response, credentials, now_s);
  if (!body) return body.error();
  auto result = read_transaction(*body, credentials);
  if (!result) return unknown_outcome("WeChat Pay's query answer: " + result.error().message);
  if (result->bill_id != bill_id) return unknown_outcome("WeChat Pay answered about another out_trade_no");
  return result;
}

std::string refund_body(const RefundInput& input) {
  json::Writer out;
  out.begin_object();
  out.key("out_trade_no").string(input.bill.bill_id);
  out.key("out_refund_no").string(input.refund_id);
  if (!input.reason.empty()) out.key("reason").string(input.reason);
  // Else WeChat Pay notifies the refund URL set on the merchant platform, if any.
  if (!input.notify_url.empty()) out.key("notify_url").string(input.notify_url);
  out.key("amount").begin_object().key("refund").integer(input.amount_minor);
  out.key("total").integer(input.bill.amount_minor);
  out.key("currency").string(input.bill.currency).end_object();
  out.end_object();
  return out.take();
}

// The verified refund answer: SUCCESS is confirmed, PROCESSING waits for the REFUND.SUCCESS
// notification (or a query); ABNORMAL and CLOSED can never succeed as sent.
Step<RefundResult> refund_result(const OutboundResponse& response, const WechatpayCredentials& credentials,
                                 const RefundInput& input, int64_t now_s) {
  if (response.status != 200) return api_error(response, "refund");
  auto body = verified_answer(response, credentials, now_s);
  if (!body) return body.error();
  if (text_of(*body, "out_refund_no") != input.refund_id)
    return unknown_outcome("WeChat Pay answered about another out_refund_no");
  RefundResult result;
  result.provider_refund_id = text_of(*body, "refund_id");
  const std::string status = text_of(*body, "status");
  if (status == "SUCCESS") {
    result.status = ProviderStatus::refunded;
  } else if (status == "PROCESSING") {
    result.status = ProviderStatus::pending;
  } else if (status == "ABNORMAL" || status == "CLOSED") {
    return invalid("WeChat Pay refund " + status);
  } else {
    return unknown_outcome("WeChat Pay refund status " + status.substr(0, 32));
  }
  return result;
}

Status read_platform_keys(CredentialReader& reader, const json::Value* keys, PlatformKeys& out) {
  if (!keys) return ok_status();
  if (keys->members.empty() || keys->members.size() > kMaxPlatformKeys) {
    reader.problem("platform_keys must name 1 to " + std::to_string(kMaxPlatformKeys) + " keys");
  }
  for (const auto& [serial, pem] : keys->members) {
    if (serial.empty() || serial.size() > kMaxCredentialIdBytes)
      reader.problem("platform_keys has an empty or long serial");
    auto key = reader.public_key_text("platform_keys." + serial, pem);
    if (key) out.emplace(serial, std::move(*key));
  }
  return ok_status();
}

class WechatpayAdapter final : public ChannelAdapter {
 public:
  std::string_view name() const override { return "wechatpay"; }
  ChannelTraits traits() const override { return {.has_query = true, .has_refund = true}; }

  Result<CredentialsPtr> parse_credentials(const json::Value& fields) const override {
    CredentialReader reader("wechatpay", fields);
    std::string mchid = reader.text("mchid");
    std::string appid = reader.text("appid");
    std::string apiv3_key = reader.text("apiv3_key");
    if (!apiv3_key.empty() && apiv3_key.size() != 32 && apiv3_key.size() != 16) {
      reader.problem("apiv3_key must be 32 bytes (16 for AES-128 test keys)");
    }
    std::string serial = reader.text("merchant_serial");
    auto merchant_key = reader.private_key("merchant_private_key");
    PlatformKeys platform_keys;
    (void)read_platform_keys(reader, reader.object("platform_keys"), platform_keys);
    reader.refuse_unknown(
        {"mchid", "appid", "apiv3_key", "merchant_serial", "merchant_private_key", "platform_keys"});
    if (auto s = reader.finish(); !s) return s.error();
    auto credentials = std::make_shared<WechatpayCredentials>(std::move(*merchant_key));
    credentials->mchid = std::move(mchid);
    credentials->appid = std::move(appid);
    credentials->apiv3_key = std::move(apiv3_key);
    credentials->merchant_serial = std::move(serial);
    credentials->platform_keys = std::move(platform_keys);
    return CredentialsPtr(std::move(credentials));
  }

  Step<PayParameters> prepare(const ChannelContext& context, const PrepareInput& input) const override {
    auto credentials = credentials_as<WechatpayCredentials>(context);
    if (input.notify_url.empty()) return invalid("wechatpay needs the public callback URL (notify_url)");
    auto request = signed_request(*credentials, "POST", context.providers.wechatpay, kAppPayPath,
                                  prepay_body(*credentials, input), context.now_s);
    if (!request) return request.error();
    return Step<PayParameters>::call(std::move(*request),
                                     [credentials, now_s = context.now_s](const OutboundResponse& response) {
                                       return app_pay_parameters(response, *credentials, now_s);
                                     });
  }

  Step<ProviderResult> verify_callback(const ChannelContext& context,
                                       const CallbackInput& input) const override {
    auto credentials = credentials_as<WechatpayCredentials>(context);
    auto verified =
        wechatpay::verify_signature(input.headers, input.body, credentials->platform_keys, context.now_s);
    if (!verified) return verified.error();
    auto body = json::parse(input.body, input.json_limits);
    if (!body) return body.error();
    return read_notification(*body, *credentials, input.json_limits);
  }

  http::Response answer(CallbackOutcome outcome, const Error* refusal) const override {
    http::Response response;
    if (outcome != CallbackOutcome::refused) {
      response.status = 204;
      response.content_type.clear();
      return response;
    }
    assert(refusal != nullptr);
    response.status = http::error_shape(refusal->code).status;
    json::Writer out;
    out.begin_object().key("code").string("FAIL").key("message").string(refusal->message).end_object();
    response.body = out.take();
    return response;
  }

  Step<ProviderResult> query(const ChannelContext& context, const BillView& bill) const override {
    auto credentials = credentials_as<WechatpayCredentials>(context);
    const std::string path = std::string(kQueryPath) + form::encode_component(bill.bill_id) +
                             "?mchid=" + form::encode_component(credentials->mchid);
    auto request = signed_request(*credentials, "GET", context.providers.wechatpay, path, "", context.now_s);
    if (!request) return request.error();
    return Step<ProviderResult>::call(
        std::move(*request),
        [credentials, bill_id = bill.bill_id, now_s = context.now_s](const OutboundResponse& r) {
          return query_result(r, *credentials, bill_id, now_s);
        });
  }

  Step<RefundResult> refund(const ChannelContext& context, const RefundInput& input) const override {
    auto credentials = credentials_as<WechatpayCredentials>(context);
    auto request = signed_request(*credentials, "POST", context.providers.wechatpay, kRefundPath,
                                  refund_body(input), context.now_s);
    if (!request) return request.error();
    return Step<RefundResult>::call(std::move(*request),
                                    [credentials, input, now_s = context.now_s](const OutboundResponse& r) {
                                      return refund_result(r, *credentials, input, now_s);
                                    });
  }
};

std::string_view find_header(std::span<const http::Header> headers, std::string_view name) {
  for (const auto& h : headers) {
    if (h.name == name) return h.value;
  }
  return {};
}

}  // namespace

namespace wechatpay {

Status verify_signature(std::span<const http::Header> headers, std::string_view body,
                        const PlatformKeys& keys, int64_t now_s) {
  const std::string_view timestamp = find_header(headers, kTimestampHeader);
  const std::string_view nonce = find_header(headers, kNonceHeader);
  const std::string_view serial = find_header(headers, kSerialHeader);
  const std::string_view signature = find_header(headers, kSignatureHeader);
  if (timestamp.empty() || nonce.empty() || serial.empty() || signature.empty()) {
    return make_error(Errc::bad_signature,
                      "Wechatpay-Timestamp, -Nonce, -Serial and -Signature are required");
  }
  int64_t sent_s = 0;
  auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), sent_s);
  if (ec != std::errc() || end != timestamp.data() + timestamp.size() || timestamp[0] == '-') {
    return make_error(Errc::bad_signature, "Wechatpay-Timestamp is not unix seconds");
  }
  if (sent_s > now_s + kTimestampWindowS || sent_s < now_s - kTimestampWindowS) {
    return make_error(Errc::stale_timestamp, "Wechatpay-Timestamp is more than 300 s off");
  }
  auto key = keys.find(serial);
  if (key == keys.end()) {
    return make_error(Errc::bad_signature, "unknown Wechatpay-Serial " + std::string(serial.substr(0, 64)));
  }
  auto raw = base64::decode(signature);
  if (!raw || !key->second.verify_sha256(signed_message(timestamp, nonce, body), *raw)) {
    return make_error(Errc::bad_signature, "Wechatpay-Signature does not verify");
  }
  return ok_status();
}

Result<std::string> decrypt_resource(const json::Value& resource, std::string_view apiv3_key) {
  if (text_of(resource, "algorithm") != "AEAD_AES_256_GCM") {
    return invalid("resource.algorithm must be AEAD_AES_256_GCM");
  }
  auto ciphertext = base64::decode(text_of(resource, "ciphertext"));
  const std::string nonce = text_of(resource, "nonce");
  if (!ciphertext || nonce.empty()) return invalid("resource needs base64 ciphertext and a nonce");
  auto plaintext =
      crypto::aes_gcm_decrypt(apiv3_key, nonce, text_of(resource, "associated_data"), *ciphertext);
  if (!plaintext) {
    return make_error(Errc::bad_signature,
                      "the resource does not decrypt with apiv3_key: " + plaintext.error().message);
  }
  return plaintext;
}

}  // namespace wechatpay

std::unique_ptr<ChannelAdapter> make_wechatpay_adapter() { return std::make_unique<WechatpayAdapter>(); }

}  // namespace unipay::channels
