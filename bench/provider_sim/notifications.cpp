#include "bench/provider_sim/notifications.hpp"

#include <array>

#include "bench/provider_sim/wechatpay_api.hpp"
#include "net/channels/alipay_format.hpp"
#include "net/channels/alipay_provider.hpp"
#include "net/channels/decimal_amount.hpp"
#include "net/channels/provider_time.hpp"
#include "net/channels/wechatpay_provider.hpp"
#include "net/crypto.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

namespace alipay = channels::alipay;
namespace wechatpay = channels::wechatpay;
using channels::form::Fields;

Error not_applicable(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }

std::string other_currency(std::string_view currency) { return currency == "USD" ? "CNY" : "USD"; }

std::string alipay_time(int64_t unix_s) { return channels::format_beijing_time(unix_s, "%Y-%m-%d %H:%M:%S"); }

Result<std::string> alipay_trade_status(const NotifyInput& input) {
  if (input.outcome == "paid") return std::string("TRADE_SUCCESS");
  if (input.outcome == "finished") return std::string("TRADE_FINISHED");
  if (input.outcome == "closed") return std::string("TRADE_CLOSED");
  if (input.outcome == "refunded") return std::string("TRADE_CLOSED");  // a full refund closes the trade
  return not_applicable("alipay outcomes are paid, finished, closed and refunded");
}

Fields alipay_fields(const AlipayMerchant& merchant, const NotifyInput& input, const std::string& status,
                     int64_t now_s) {
  const Order order = stated_order(input);
  const std::string amount = channels::format_decimal_amount(order.amount_minor, order.currency);
  const bool paid = input.outcome != "closed";
  const std::string app_id = input.tamper == Tamper::app ? "2021" + random_digits(12) : merchant.app_id;
  Fields fields = {
      {"notify_time", alipay_time(now_s)},
      {"notify_type", "trade_status_sync"},
      {"notify_id", crypto::random_hex(16)},
      {"charset", "utf-8"},
      {"version", "1.0"},
      {"app_id", app_id},
      {"auth_app_id", app_id},
      {"trade_no", order.trade_no},
      {"out_trade_no", order.bill_id},
      {"buyer_id", "2088000000000001"},
      {"buyer_logon_id", "sim***@example.com"},
      {"seller_id", input.tamper == Tamper::merchant ? "2088" + random_digits(12) : merchant.seller_id},
      {"trade_status", status},
      {"total_amount", amount},
      {"subject", order.subject.empty() ? "item" : order.subject},
      {"gmt_create", alipay_time(now_s - 60)}};
  if (order.currency != "CNY") fields.emplace_back("trans_currency", order.currency);
  if (paid) {
    fields.emplace_back("receipt_amount", amount);
    fields.emplace_back("buyer_pay_amount", amount);
    fields.emplace_back("gmt_payment", alipay_time(order.paid_at_s > 0 ? order.paid_at_s : now_s));
  }
  if (input.outcome == "refunded") {
    fields.emplace_back("refund_fee", amount);
    fields.emplace_back("out_biz_no", order.refunds.empty() ? order.bill_id : order.refunds.begin()->first);
    fields.emplace_back("gmt_refund", alipay_time(now_s));
  }
  return fields;
}

// Changes total_amount after signing: the body no longer matches its sign.
Result<std::string> break_alipay_signature(const std::string& body) {
  auto fields = channels::form::parse(body, alipay::kMaxFormFields);
  if (!fields) return fields.error();
  for (auto& [key, value] : *fields) {
    if (key == "total_amount") value = value == "0.01" ? "0.02" : "0.01";
  }
  return channels::form::encode(*fields);
}

std::string wechat_refund_json(const Order& order, const WechatpayMerchant& merchant, int64_t now_s) {
  const Refund refund = order.refunds.empty()
                            ? Refund{order.bill_id, "50" + random_digits(30), order.amount_minor, now_s}
                            : order.refunds.begin()->second;
  json::Writer out;
  out.begin_object();
  out.key("mchid").string(merchant.mchid).key("out_trade_no").string(order.bill_id);
  out.key("transaction_id").string(order.trade_no).key("out_refund_no").string(refund.refund_no);
  out.key("refund_id").string(refund.refund_id).key("refund_status").string("SUCCESS");
  out.key("success_time").string(channels::format_beijing_time(now_s, "%Y-%m-%dT%H:%M:%S+08:00"));
  out.key("user_received_account").string("支付用户零钱");
  out.key("amount").begin_object().key("total").integer(order.amount_minor);
  out.key("refund").integer(refund.amount_minor).key("payer_total").integer(order.amount_minor);
  out.key("payer_refund").integer(refund.amount_minor).end_object();
  out.end_object();
  return out.take();
}

}  // namespace

Order stated_order(const NotifyInput& input) {
  Order order = input.order;
  if (input.tamper == Tamper::amount) order.amount_minor += 1;
  if (input.tamper == Tamper::currency) order.currency = other_currency(order.currency);
  return order;
}

std::optional<Tamper> tamper_from(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, Tamper>, 8> kNames{{
      {"none", Tamper::none},
      {"signature", Tamper::signature},
      {"amount", Tamper::amount},
      {"currency", Tamper::currency},
      {"merchant", Tamper::merchant},
      {"app", Tamper::app},
      {"stale_timestamp", Tamper::stale_timestamp},
      {"unknown_serial", Tamper::unknown_serial},
  }};
  for (const auto& [name, tamper] : kNames) {
    if (name == text) return tamper;
  }
  return std::nullopt;
}

Result<Notification> alipay_notification(const AlipayMerchant& merchant, const NotifyInput& input,
                                         int64_t now_s) {
  if (input.tamper == Tamper::stale_timestamp || input.tamper == Tamper::unknown_serial) {
    return not_applicable("alipay notifications have no signed timestamp or key serial");
  }
  auto status = alipay_trade_status(input);
  if (!status) return status.error();
  std::string body =
      alipay::sign_notification(alipay_fields(merchant, input, *status, now_s), merchant.alipay_key);
  if (input.tamper == Tamper::signature) {
    auto broken = break_alipay_signature(body);
    if (!broken) return broken.error();
    body = std::move(*broken);
  }
  return Notification{{{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}},
                      std::move(body)};
}

Result<Notification> wechatpay_notification(const WechatpayMerchant& merchant, const NotifyInput& input,
                                            int64_t now_s) {
  if (input.outcome != "paid" && input.outcome != "refunded") {
    return not_applicable("WeChat Pay notifies only payments (paid) and refunds (refunded)");
  }
  const bool refund = input.outcome == "refunded";
  WechatpayMerchant stated = merchant;
  if (input.tamper == Tamper::merchant) stated.mchid = "19" + random_digits(8);
  if (input.tamper == Tamper::app) stated.appid = "wx" + crypto::random_hex(8);
  Order order = stated_order(input);
  if (!refund) order.state = OrderState::paid;
  if (order.paid_at_s == 0) order.paid_at_s = now_s;
  const std::string plaintext =
      refund ? wechat_refund_json(order, stated, now_s) : wechatpay_transaction_json(order, stated);
  const std::string type = refund ? "refund" : "transaction";
  auto resource =
      wechatpay::encrypt_resource(merchant.apiv3_key, type, plaintext, crypto::random_hex(6), type);
  if (!resource) return resource.error();
  const std::string id = crypto::random_hex(18);
  std::string body =
      wechatpay::notification_body(id, refund ? "REFUND.SUCCESS" : "TRANSACTION.SUCCESS", *resource, now_s);
  wechatpay::PlatformSigner signer = merchant.platform;
  if (input.tamper == Tamper::unknown_serial) signer.serial = "PUB_KEY_ID_0" + random_digits(27);
  const int64_t timestamp = input.tamper == Tamper::stale_timestamp ? now_s - kStaleS : now_s;
  Notification out{{{"content-type", "application/json"}}, {}};
  for (auto& header : wechatpay::sign_message(signer, timestamp, crypto::random_hex(16), body)) {
    out.headers.push_back(std::move(header));
  }
  out.headers.push_back({"wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048"});
  if (input.tamper == Tamper::signature) body.replace(body.find(id), id.size(), crypto::random_hex(18));
  out.body = std::move(body);
  return out;
}

}  // namespace unipay::sim
