#include "net/channels/alipay_adapter.hpp"

#include "net/base64.hpp"
#include "net/channels/alipay_format.hpp"
#include "net/channels/credential_fields.hpp"
#include "net/channels/decimal_amount.hpp"
#include "net/http_errors.hpp"

namespace unipay::channels {
namespace {

constexpr std::string_view kDefaultCurrency = "CNY";  // total_amount's currency without trans_currency
constexpr std::string_view kSuccessCode = "10000";
constexpr size_t kMaxOrderFieldBytes = 64;  // out_trade_no, trade_no

Error invalid(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }
Error unknown_outcome(std::string message) { return make_error(Errc::server_busy, std::move(message)); }

std::string field(const form::Fields& fields, std::string_view key) {
  const std::string* value = form::find(fields, key);
  return value ? *value : std::string();
}

Result<ProviderStatus> map_trade_status(std::string_view status) {
  if (status == "TRADE_SUCCESS" || status == "TRADE_FINISHED") return ProviderStatus::paid;
  if (status == "TRADE_CLOSED") return ProviderStatus::closed;
  if (status == "WAIT_BUYER_PAY") return ProviderStatus::pending;
  return invalid("unknown trade_status " + std::string(status.substr(0, 32)));
}

// The order fields common to notifications and query answers: out_trade_no, trade_no,
// trade_status, total_amount (in trans_currency when given, else CNY).
template <class Get>
Result<ProviderResult> read_order(Get get) {
  ProviderResult result;
  result.bill_id = get("out_trade_no");
  result.trade_no = get("trade_no");
  if (result.bill_id.empty() || result.bill_id.size() > kMaxOrderFieldBytes ||
      result.trade_no.size() > kMaxOrderFieldBytes) {
    return invalid("out_trade_no is required and, like trade_no, at most 64 bytes");
  }
  auto status = map_trade_status(get("trade_status"));
  if (!status) return status.error();
  result.status = *status;
  const std::string trans_currency = get("trans_currency");
  result.currency = trans_currency.empty() ? std::string(kDefaultCurrency) : trans_currency;
  auto amount = parse_decimal_amount(get("total_amount"), result.currency);
  if (!amount) return invalid("total_amount: " + amount.error().message);
  result.amount_minor = *amount;
  return result;
}

// A refund notification carries refund_fee (and out_biz_no, the refund request number).
Status read_refund(const form::Fields& fields, ProviderResult& result) {
  const std::string refund_fee = field(fields, "refund_fee");
  if (refund_fee.empty()) return ok_status();
  auto refunded = parse_decimal_amount(refund_fee, result.currency);
  if (!refunded) return invalid("refund_fee: " + refunded.error().message);
  if (*refunded == 0) return ok_status();
  result.status = ProviderStatus::refunded;
  result.refund_amount_minor = *refunded;
  result.refund_id = field(fields, "out_biz_no");
  return ok_status();
}

Result<ProviderResult> read_notification(const form::Fields& fields, const AlipayCredentials& credentials) {
  const std::string app_id = field(fields, "app_id");
  if (app_id != credentials.app_id) {
    return make_error(Errc::conflict, "app_id " + app_id.substr(0, 32) + " is not this app's Alipay app_id");
  }
  if (field(fields, "notify_type") != "trade_status_sync") {
    ProviderResult unrelated;
    unrelated.provider_app_id = app_id;
    return unrelated;
  }
  const std::string seller_id = field(fields, "seller_id");
  if (seller_id != credentials.seller_id) {
    return make_error(Errc::conflict, "seller_id " + seller_id.substr(0, 32) + " is not this app's merchant");
  }
  auto result = read_order([&fields](std::string_view key) { return field(fields, key); });
  if (!result) return result.error();
  if (auto s = read_refund(fields, *result); !s) return s.error();
  result->merchant_id = seller_id;
  result->provider_app_id = app_id;
  return result;
}

// The gateway's common parameters plus biz_content, signed (sign last).
Result<form::Fields> signed_gateway_fields(const AlipayCredentials& credentials, std::string_view method,
                                           int64_t now_s, std::string_view notify_url,
                                           std::string biz_content) {
  form::Fields fields = {{"app_id", credentials.app_id},
                         {"biz_content", std::move(biz_content)},
                         {"charset", "utf-8"},
                         {"format", "JSON"},
                         {"method", std::string(method)},
                         {"sign_type", std::string(alipay::kSignType)},
                         {"timestamp", alipay::beijing_time(now_s)},
                         {"version", "1.0"}};
  if (!notify_url.empty()) fields.emplace_back("notify_url", std::string(notify_url));
  auto signature = credentials.app_private_key.sign_sha256(alipay::sign_content(fields, true));
  if (!signature) return signature.error();
  fields.emplace_back("sign", base64::encode(*signature));
  return fields;
}

std::string app_pay_biz_content(const BillView& bill) {
  json::Writer biz;
  biz.begin_object();
  biz.key("out_trade_no").string(bill.bill_id);
  biz.key("total_amount").string(format_decimal_amount(bill.amount_minor, bill.currency));
  biz.key("subject").string(bill.item_id);
  biz.key("product_code").string("QUICK_MSECURITY_PAY");
  if (bill.currency != kDefaultCurrency) biz.key("trans_currency").string(bill.currency);
  if (bill.expires_at_s > 0) biz.key("time_expire").string(alipay::beijing_time(bill.expires_at_s));
  biz.end_object();
  return biz.take();
}

// The verified "<method>_response" object of a gateway answer (query and refund alike).
Result<json::Value> verified_gateway_answer(const OutboundResponse& response,
                                            const AlipayCredentials& credentials, std::string_view method) {
  if (response.status != 200)
    return unknown_outcome("Alipay answered HTTP " + std::to_string(response.status));
  auto parsed = json::parse(response.body);
  if (!parsed || !parsed->is_object()) return unknown_outcome("Alipay's answer is not a JSON object");
  const std::string key = alipay::response_key(method);
  auto raw = alipay::raw_member(response.body, key);
  const json::Value* sign = parsed->find("sign");
  if (!raw || !sign || sign->kind != json::Value::Kind::string) {
    return unknown_outcome("Alipay's answer has no signed " + key);
  }
  auto signature = base64::decode(sign->string);
  if (!signature || !credentials.alipay_public_key.verify_sha256(*raw, *signature)) {
    return unknown_outcome("Alipay's answer signature does not verify");
  }
  const json::Value* inner = parsed->find(key);
  if (!inner || !inner->is_object()) return unknown_outcome(key + " is not an object");
  return *inner;
}

OutboundRequest gateway_request(const ChannelContext& context, const form::Fields& fields) {
  return OutboundRequest{
      "POST",
      context.providers.alipay,
      {{"content-type", "application/x-www-form-urlencoded;charset=utf-8"}, {"accept", "application/json"}},
      form::encode(fields)};
}

std::string json_text(const json::Value& object, std::string_view key) {
  const json::Value* value = object.find(key);
  return value && value->kind == json::Value::Kind::string ? value->string : std::string();
}

Step<ProviderResult> read_query_answer(const OutboundResponse& response, const AlipayCredentials& credentials,
                                       const std::string& bill_id) {
  auto answer = verified_gateway_answer(response, credentials, "alipay.trade.query");
  if (!answer) return answer.error();
  const std::string code = json_text(*answer, "code");
  if (code != kSuccessCode) {
    if (json_text(*answer, "sub_code") == "ACQ.TRADE_NOT_EXIST") {
      ProviderResult none;
      none.status = ProviderStatus::pending;
      none.bill_id = bill_id;
      return none;
    }
    return unknown_outcome("Alipay query failed: " + code + " " + json_text(*answer, "sub_code"));
  }
  auto result = read_order([&answer](std::string_view key) { return json_text(*answer, key); });
  if (!result) return unknown_outcome("Alipay's query answer: " + result.error().message);
  if (result->bill_id != bill_id) return unknown_outcome("Alipay answered about another out_trade_no");
  result->merchant_id = credentials.seller_id;
  result->provider_app_id = credentials.app_id;
  return result;
}

std::string refund_biz_content(const RefundInput& input) {
  json::Writer biz;
  biz.begin_object();
  biz.key("out_trade_no").string(input.bill.bill_id);
  biz.key("refund_amount").string(format_decimal_amount(input.amount_minor, input.bill.currency));
  biz.key("out_request_no").string(input.refund_id);
  if (!input.reason.empty()) biz.key("refund_reason").string(input.reason);
  biz.end_object();
  return biz.take();
}

// Code 10000 with fund_change Y (money moved now) or a positive refund_fee (this
// out_request_no was already refunded: Alipay answers fund_change N) is a confirmed refund.
// A business failure (40004: trade absent, amount over the total, ...) can never succeed as
// sent; anything else leaves the outcome unknown.
Step<RefundResult> read_refund_answer(const OutboundResponse& response, const AlipayCredentials& credentials,
                                      const RefundInput& input) {
  auto answer = verified_gateway_answer(response, credentials, "alipay.trade.refund");
  if (!answer) return answer.error();
  const std::string code = json_text(*answer, "code");
  if (code == "40004") return invalid("Alipay refused the refund: " + json_text(*answer, "sub_code"));
  if (code != kSuccessCode)
    return unknown_outcome("Alipay refund failed: " + code + " " + json_text(*answer, "sub_code"));
  if (json_text(*answer, "out_trade_no") != input.bill.bill_id)
    return unknown_outcome("Alipay answered about another out_trade_no");
  auto refund_fee = parse_decimal_amount(json_text(*answer, "refund_fee"), input.bill.currency);
  RefundResult result;
  result.provider_refund_id = json_text(*answer, "trade_no");
  const bool refunded = json_text(*answer, "fund_change") == "Y" || (refund_fee && *refund_fee > 0);
  result.status = refunded ? ProviderStatus::refunded : ProviderStatus::pending;
  return result;
}

class AlipayAdapter final : public ChannelAdapter {
 public:
  std::string_view name() const override { return "alipay"; }
  ChannelTraits traits() const override { return {.has_query = true, .has_refund = true}; }

  Result<CredentialsPtr> parse_credentials(const json::Value& fields) const override {
    CredentialReader reader("alipay", fields);
    std::string app_id = reader.text("app_id");
    std::string seller_id = reader.text("seller_id");
    auto alipay_key = reader.public_key("alipay_public_key");
    auto app_key = reader.private_key("app_private_key");
    reader.refuse_unknown({"app_id", "seller_id", "alipay_public_key", "app_private_key"});
    if (auto s = reader.finish(); !s) return s.error();
    auto credentials = std::make_shared<AlipayCredentials>(std::move(*alipay_key), std::move(*app_key));
    credentials->app_id = std::move(app_id);
    credentials->seller_id = std::move(seller_id);
    return CredentialsPtr(std::move(credentials));
  }

  Step<PayParameters> prepare(const ChannelContext& context, const PrepareInput& input) const override {
    auto credentials = credentials_as<AlipayCredentials>(context);
    auto fields = signed_gateway_fields(*credentials, "alipay.trade.app.pay", context.now_s, input.notify_url,
                                        app_pay_biz_content(input.bill));
    if (!fields) return fields.error();
    json::Writer out;
    out.begin_object().key("order_string").string(form::encode(*fields)).end_object();
    return PayParameters{out.take()};
  }

  Step<ProviderResult> verify_callback(const ChannelContext& context,
                                       const CallbackInput& input) const override {
    auto credentials = credentials_as<AlipayCredentials>(context);
    auto fields = alipay::verify_notification(input.body, credentials->alipay_public_key);
    if (!fields) return fields.error();
    return read_notification(*fields, *credentials);
  }

  http::Response answer(CallbackOutcome outcome, const Error* refusal) const override {
    http::Response response;
    response.content_type = "text/plain";
    if (outcome == CallbackOutcome::refused) {
      assert(refusal != nullptr);
      response.status = http::error_shape(refusal->code).status;
      response.body = "failure";
    } else {
      response.body = "success";
    }
    return response;
  }

  Step<ProviderResult> query(const ChannelContext& context, const BillView& bill) const override {
    auto credentials = credentials_as<AlipayCredentials>(context);
    json::Writer biz;
    biz.begin_object().key("out_trade_no").string(bill.bill_id).end_object();
    auto fields = signed_gateway_fields(*credentials, "alipay.trade.query", context.now_s, "", biz.take());
    if (!fields) return fields.error();
    // The continuation holds its own references: it may run after this call returned.
    return Step<ProviderResult>::call(
        gateway_request(context, *fields),
        [credentials, bill_id = bill.bill_id](const OutboundResponse& response) {
          return read_query_answer(response, *credentials, bill_id);
        });
  }

  Step<RefundResult> refund(const ChannelContext& context, const RefundInput& input) const override {
    auto credentials = credentials_as<AlipayCredentials>(context);
    auto fields = signed_gateway_fields(*credentials, "alipay.trade.refund", context.now_s, "",
                                        refund_biz_content(input));
    if (!fields) return fields.error();
    return Step<RefundResult>::call(gateway_request(context, *fields),
                                    [credentials, input](const OutboundResponse& response) {
                                      return read_refund_answer(response, *credentials, input);
                                    });
  }
};

}  // namespace

namespace alipay {

Result<form::Fields> verify_notification(std::string_view body, const crypto::RsaPublicKey& key) {
  auto fields = form::parse(body, kMaxFormFields);
  if (!fields) return fields.error();
  const std::string* sign = form::find(*fields, "sign");
  if (!sign || sign->empty()) return make_error(Errc::bad_signature, "the notification has no sign");
  const std::string* sign_type = form::find(*fields, "sign_type");
  if (sign_type && *sign_type != kSignType) {
    return make_error(Errc::bad_signature, "sign_type must be RSA2");
  }
  auto signature = base64::decode(*sign);
  if (!signature) return make_error(Errc::bad_signature, "sign is not base64");
  if (key.verify_sha256(sign_content(*fields, false), *signature)) return fields;
  // The second form keeps sign_type, adding the RSA2 the notification may have left out,
  // as the official SDK does.
  form::Fields with_type = *fields;
  if (!sign_type) with_type.emplace_back("sign_type", std::string(kSignType));
  if (key.verify_sha256(sign_content(with_type, true), *signature)) return fields;
  return make_error(Errc::bad_signature, "the notification's RSA2 signature does not verify");
}

}  // namespace alipay

std::unique_ptr<ChannelAdapter> make_alipay_adapter() { return std::make_unique<AlipayAdapter>(); }

}  // namespace unipay::channels
