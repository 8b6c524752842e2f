#include "bench/provider_sim/wechatpay_api.hpp"

#include "bench/provider_sim/sim_json.hpp"
#include "net/channels/form.hpp"
#include "net/channels/provider_time.hpp"
#include "net/channels/wechatpay_format.hpp"
#include "net/crypto.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

namespace wechatpay = channels::wechatpay;
using Kind = json::Value::Kind;

constexpr std::string_view kAppPay = "/v3/pay/transactions/app";
constexpr std::string_view kQueryPrefix = "/v3/pay/transactions/out-trade-no/";
constexpr std::string_view kRefunds = "/v3/refund/domestic/refunds";

struct Answer {
  int status = 200;
  std::string body;
};

Answer fail(int status, std::string_view code, std::string_view message) {
  json::Writer out;
  out.begin_object().key("code").string(code).key("message").string(message).end_object();
  return {status, out.take()};
}

int64_t integer(const json::Value& object, std::string_view key) {
  const json::Value* value = object.is_object() ? object.find(key) : nullptr;
  return value && value->kind == Kind::integer ? value->integer : -1;
}

std::string rfc3339(int64_t unix_s) {
  return channels::format_beijing_time(unix_s, "%Y-%m-%dT%H:%M:%S+08:00");
}

std::string_view trade_state(const Order& order) {
  switch (order.state) {
    case OrderState::pending:
      return "NOTPAY";
    case OrderState::paid:
      return "SUCCESS";
    case OrderState::closed:
      return "CLOSED";
    case OrderState::refunded:
      return "REFUND";
  }
  return "NOTPAY";
}

Answer app_pay(SimState& state, const WechatpayMerchant& merchant, const json::Value& body, int64_t now_s) {
  if (text(body, "mchid") != merchant.mchid) return fail(400, "PARAM_ERROR", "mchid与请求头不一致");
  if (text(body, "appid") != merchant.appid) return fail(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配");
  Order order;
  order.channel = "wechatpay";
  order.merchant = merchant.mchid;
  order.bill_id = text(body, "out_trade_no");
  order.subject = text(body, "description");
  order.notify_url = text(body, "notify_url");
  const json::Value* amount = body.find("amount");
  order.amount_minor = amount ? integer(*amount, "total") : -1;
  order.currency = amount && !text(*amount, "currency").empty() ? text(*amount, "currency") : "CNY";
  if (order.bill_id.empty() || order.bill_id.size() > 32 || order.subject.empty() ||
      order.amount_minor <= 0 ||
      !(order.notify_url.starts_with("https://") || order.notify_url.starts_with("http://"))) {
    return fail(400, "PARAM_ERROR", "out_trade_no, description, notify_url and amount.total are required");
  }
  if (auto existing = state.order("wechatpay", merchant.mchid, order.bill_id)) {
    if (existing->state == OrderState::paid) return fail(403, "ORDER_PAID", "订单已支付");
    if (existing->state == OrderState::closed) return fail(400, "ORDER_CLOSED", "订单已关闭");
    if (existing->amount_minor != order.amount_minor || existing->currency != order.currency) {
      return fail(400, "INVALID_REQUEST", "201 商户订单号重复");
    }
    order = *existing;  // the same order again: the same prepay_id
  } else {
    order.prepay_id = "wx" + channels::format_beijing_time(now_s, "%d%H%M%S") + crypto::random_hex(14);
    if (!state.put(order)) return fail(500, "SYSTEM_ERROR", "too many simulated orders");
  }
  json::Writer out;
  out.begin_object().key("prepay_id").string(order.prepay_id).end_object();
  return {200, out.take()};
}

Answer query(const SimState& state, const WechatpayMerchant& merchant, const http::Request& request) {
  std::vector<std::pair<std::string, std::string>> params;
  if (!http::parse_query(request.query, params) || params.size() != 1 || params[0].first != "mchid" ||
      params[0].second != merchant.mchid) {
    return fail(400, "PARAM_ERROR", "mchid is required and must be the caller's");
  }
  std::string out_trade_no;
  if (!http::url_decode(std::string_view(request.path).substr(kQueryPrefix.size()), out_trade_no)) {
    return fail(400, "PARAM_ERROR", "bad out_trade_no");
  }
  auto order = state.order("wechatpay", merchant.mchid, out_trade_no);
  if (!order) return fail(404, "ORDER_NOT_EXIST", "订单不存在");
  return {200, wechatpay_transaction_json(*order, merchant)};
}

std::string refund_json(const Order& order, const Refund& refund, bool succeeded) {
  json::Writer out;
  out.begin_object();
  out.key("refund_id").string(refund.refund_id);
  out.key("out_refund_no").string(refund.refund_no);
  out.key("transaction_id").string(order.trade_no);
  out.key("out_trade_no").string(order.bill_id);
  out.key("channel").string("ORIGINAL");
  out.key("user_received_account").string("支付用户零钱");
  if (succeeded) out.key("success_time").string(rfc3339(refund.created_s));
  out.key("create_time").string(rfc3339(refund.created_s));
  out.key("status").string(succeeded ? "SUCCESS" : "PROCESSING");
  out.key("funds_account").string("AVAILABLE");
  out.key("amount").begin_object();
  out.key("total").integer(order.amount_minor).key("refund").integer(refund.amount_minor);
  out.key("payer_total").integer(order.amount_minor).key("payer_refund").integer(refund.amount_minor);
  out.key("settlement_refund")
      .integer(refund.amount_minor)
      .key("settlement_total")
      .integer(order.amount_minor);
  out.key("discount_refund").integer(0).key("currency").string(order.currency);
  out.end_object().end_object();
  return out.take();
}

// REFUND.SUCCESS of `refund`, signed and encrypted like WeChat Pay, to send once answered.
void notify_refund(const WechatpayMerchant& merchant, Order order, const Refund& refund, int64_t now_s,
                   std::vector<LaterNotification>& later) {
  const std::string url = refund.notify_url.empty() ? order.notify_url : refund.notify_url;
  if (url.empty()) return;                       // no notify_url and none configured: the merchant must query
  order.refunds = {{refund.refund_no, refund}};  // the notification speaks of this refund
  auto notification = wechatpay_notification(merchant, NotifyInput{order, "refunded", Tamper::none}, now_s);
  if (notification) later.push_back({url, std::move(*notification)});
}

// A refund is answered PROCESSING, as WeChat Pay answers most; it succeeds at once after
// (the simulator has no bank) and REFUND.SUCCESS goes to the refund's notify_url. The same
// out_refund_no again answers the same refund, now SUCCESS, and moves no money.
Answer create_refund(SimState& state, const WechatpayMerchant& merchant, const json::Value& body,
                     int64_t now_s, std::vector<LaterNotification>& later) {
  const std::string out_trade_no = text(body, "out_trade_no");
  const std::string refund_no = text(body, "out_refund_no");
  const json::Value* amount = body.find("amount");
  const int64_t refund_minor = amount ? integer(*amount, "refund") : -1;
  const int64_t total_minor = amount ? integer(*amount, "total") : -1;
  if (out_trade_no.empty() || refund_no.empty() || refund_minor <= 0 || text(*amount, "currency").empty()) {
    return fail(400, "PARAM_ERROR",
                "out_trade_no, out_refund_no and amount{refund,total,currency} are required");
  }
  Answer refusal;
  Refund made;
  bool repeated = false;
  auto changed = state.modify("wechatpay", merchant.mchid, out_trade_no, [&](Order& o) {
    if (auto it = o.refunds.find(refund_no); it != o.refunds.end()) {
      made = it->second;  // the same out_refund_no again: the same refund
      repeated = true;
    } else if (o.state != OrderState::paid && o.state != OrderState::refunded) {
      refusal = fail(400, "INVALID_REQUEST", "订单未支付");
    } else if (total_minor != o.amount_minor || text(*amount, "currency") != o.currency) {
      refusal = fail(400, "PARAM_ERROR", "订单金额或币种与原订单不一致");
    } else if (o.refunded_minor() + refund_minor > o.amount_minor) {
      refusal = fail(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额");
    } else {
      made = Refund{refund_no, "50" + random_digits(30), refund_minor, now_s, text(body, "notify_url")};
      o.refunds[refund_no] = made;
      o.state = OrderState::refunded;
    }
  });
  if (!changed) return fail(404, "RESOURCE_NOT_EXISTS", "订单不存在");
  if (!refusal.body.empty()) return refusal;
  if (!repeated) notify_refund(merchant, *changed, made, now_s, later);
  return {200, refund_json(*changed, made, repeated)};
}

// GET /v3/refund/domestic/refunds/{out_refund_no}: the refund, SUCCESS (it succeeds right
// after its PROCESSING answer).
Answer query_refund(const SimState& state, const WechatpayMerchant& merchant, const http::Request& request) {
  std::string refund_no;
  if (!http::url_decode(std::string_view(request.path).substr(kRefunds.size() + 1), refund_no) ||
      refund_no.empty())
    return fail(400, "PARAM_ERROR", "bad out_refund_no");
  auto order = state.order_by_refund("wechatpay", merchant.mchid, refund_no);
  if (!order) return fail(404, "RESOURCE_NOT_EXISTS", "退款单不存在");
  return {200, refund_json(*order, order->refunds.at(refund_no), true)};
}

Answer route(SimState& state, const WechatpayMerchant& merchant, const http::Request& request, int64_t now_s,
             std::vector<LaterNotification>& later) {
  const bool post = request.method == "POST";
  if (request.method == "GET" && request.path.starts_with(kQueryPrefix))
    return query(state, merchant, request);
  if (request.method == "GET" && request.path.starts_with(std::string(kRefunds) + "/"))
    return query_refund(state, merchant, request);
  if (!post) return fail(404, "NOT_FOUND", "no such API");
  auto body = json::parse(request.body);
  if (!body || !body->is_object()) return fail(400, "PARAM_ERROR", "the body is not a JSON object");
  if (request.path == kAppPay) return app_pay(state, merchant, *body, now_s);
  if (request.path == kRefunds) return create_refund(state, merchant, *body, now_s, later);
  return fail(404, "NOT_FOUND", "no such API");
}

}  // namespace

std::string wechatpay_transaction_json(const Order& order, const WechatpayMerchant& merchant) {
  const bool paid = order.state == OrderState::paid || order.state == OrderState::refunded;
  json::Writer out;
  out.begin_object();
  out.key("appid").string(merchant.appid).key("mchid").string(merchant.mchid);
  out.key("out_trade_no").string(order.bill_id);
  if (paid) out.key("transaction_id").string(order.trade_no);
  out.key("trade_type").string("APP").key("trade_state").string(trade_state(order));
  out.key("trade_state_desc").string(paid ? "支付成功" : "订单未支付");
  if (paid) out.key("bank_type").string("OTHERS").key("success_time").string(rfc3339(order.paid_at_s));
  out.key("attach").string("");
  if (paid) out.key("payer").begin_object().key("openid").string("o_sim_payer").end_object();
  out.key("amount").begin_object().key("total").integer(order.amount_minor);
  if (paid) out.key("payer_total").integer(order.amount_minor);
  out.key("currency").string(order.currency).key("payer_currency").string(order.currency);
  out.end_object().end_object();
  return out.take();
}

http::Response wechatpay_api(SimState& state, const http::Request& request, int64_t now_s,
                             std::vector<LaterNotification>& later) {
  Answer answer;
  std::optional<WechatpayMerchant> merchant;
  auto authorization = wechatpay::parse_authorization(request.header("authorization"));
  if (authorization) merchant = state.wechatpay_by_mchid(authorization->mchid);
  if (!authorization || !merchant) {
    answer = fail(401, "SIGN_ERROR", "Authorization is missing or names no simulated merchant");
  } else if (auto checked = wechatpay::verify_merchant_request(
                 request.header("authorization"), request.method, request.target, request.body,
                 merchant->merchant_public_key, merchant->mchid, merchant->merchant_serial, now_s);
             !checked) {
    answer = fail(401, "SIGN_ERROR", checked.error().message);
  } else {
    answer = route(state, *merchant, request, now_s, later);
  }
  http::Response response;
  response.status = answer.status;
  response.body = std::move(answer.body);
  if (merchant) {
    response.headers =
        wechatpay::sign_message(merchant->platform, now_s, crypto::random_hex(16), response.body);
  }
  response.headers.push_back({"request-id", "08" + crypto::random_hex(16)});
  return response;
}

}  // namespace unipay::sim
