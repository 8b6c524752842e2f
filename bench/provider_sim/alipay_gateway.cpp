#include "bench/provider_sim/alipay_gateway.hpp"

#include "bench/provider_sim/sim_json.hpp"
#include "net/channels/alipay_format.hpp"
#include "net/channels/alipay_provider.hpp"
#include "net/channels/decimal_amount.hpp"
#include "net/channels/provider_time.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

using channels::form::Fields;
namespace alipay = channels::alipay;

constexpr std::string_view kDefaultCurrency = "CNY";

std::string field(const Fields& fields, std::string_view key) {
  const std::string* value = channels::form::find(fields, key);
  return value ? *value : std::string();
}

// The request's parameters from the query string and the form body; a key in both is refused.
Result<Fields> request_fields(const http::Request& request) {
  Result<Fields> fields = Fields{};
  if (!request.query.empty()) fields = channels::form::parse(request.query, alipay::kMaxFormFields);
  if (!fields) return fields.error();
  if (!request.body.empty()) {
    auto body = channels::form::parse(request.body, alipay::kMaxFormFields);
    if (!body) return body.error();
    for (auto& [key, value] : *body) {
      if (channels::form::find(*fields, key)) return make_error(Errc::invalid_parameter, "duplicate " + key);
      fields->emplace_back(std::move(key), std::move(value));
    }
  }
  return fields;
}

http::Response json_response(std::string body) {
  http::Response response;
  response.content_type = "application/json;charset=utf-8";
  response.body = std::move(body);
  return response;
}

std::string error_body(std::string_view code, std::string_view msg, std::string_view sub_code,
                       std::string_view sub_msg) {
  json::Writer out;
  out.begin_object().key("code").string(code).key("msg").string(msg);
  out.key("sub_code").string(sub_code).key("sub_msg").string(sub_msg).end_object();
  return out.take();
}

std::string business_failed(std::string_view sub_code, std::string_view sub_msg) {
  return error_body("40004", "Business Failed", sub_code, sub_msg);
}

std::string_view trade_status(const Order& order) {
  switch (order.state) {
    case OrderState::pending:
      return "WAIT_BUYER_PAY";
    case OrderState::paid:
      return "TRADE_SUCCESS";
    case OrderState::closed:
      return "TRADE_CLOSED";
    case OrderState::refunded:  // a full refund closes the trade; a partial one leaves it paid
      return order.refunded_minor() >= order.amount_minor ? "TRADE_CLOSED" : "TRADE_SUCCESS";
  }
  return "WAIT_BUYER_PAY";
}

void write_order_common(json::Writer& out, const Order& order) {
  out.key("code").string("10000").key("msg").string("Success");
  out.key("trade_no").string(order.trade_no);
  out.key("out_trade_no").string(order.bill_id);
  out.key("buyer_logon_id").string("sim***@example.com");
}

std::string query_answer(const Order& order) {
  const std::string amount = channels::format_decimal_amount(order.amount_minor, order.currency);
  json::Writer out;
  out.begin_object();
  write_order_common(out, order);
  out.key("trade_status").string(trade_status(order));
  out.key("total_amount").string(amount);
  if (order.currency != kDefaultCurrency) out.key("trans_currency").string(order.currency);
  const bool paid = order.state != OrderState::pending && order.paid_at_s > 0;
  out.key("buyer_pay_amount").string(paid ? amount : "0.00");
  if (paid)
    out.key("send_pay_date").string(channels::format_beijing_time(order.paid_at_s, "%Y-%m-%d %H:%M:%S"));
  out.key("buyer_user_id").string("2088000000000001");
  out.end_object();
  return out.take();
}

// The order named by biz_content's out_trade_no (or trade_no).
std::optional<Order> find_order(const SimState& state, const AlipayMerchant& merchant,
                                const json::Value& biz) {
  const std::string out_trade_no = text(biz, "out_trade_no");
  if (!out_trade_no.empty()) return state.order("alipay", merchant.seller_id, out_trade_no);
  return std::nullopt;  // lookups by trade_no alone are not simulated
}

std::string trade_query(const SimState& state, const AlipayMerchant& merchant, const json::Value& biz) {
  auto order = find_order(state, merchant, biz);
  if (!order) return business_failed("ACQ.TRADE_NOT_EXIST", "交易不存在");
  return query_answer(*order);
}

std::string refund_answer(const Order& order, bool fund_change, int64_t now_s) {
  json::Writer out;
  out.begin_object();
  write_order_common(out, order);
  out.key("fund_change").string(fund_change ? "Y" : "N");
  out.key("refund_fee").string(channels::format_decimal_amount(order.refunded_minor(), order.currency));
  out.key("gmt_refund_pay").string(channels::format_beijing_time(now_s, "%Y-%m-%d %H:%M:%S"));
  out.key("buyer_user_id").string("2088000000000001");
  out.end_object();
  return out.take();
}

std::string trade_refund(SimState& state, const AlipayMerchant& merchant, const json::Value& biz,
                         int64_t now_s) {
  auto order = find_order(state, merchant, biz);
  if (!order) return business_failed("ACQ.TRADE_NOT_EXIST", "交易不存在");
  auto amount = channels::parse_decimal_amount(text(biz, "refund_amount"), order->currency);
  if (!amount || *amount <= 0)
    return error_body("40002", "Invalid Arguments", "isv.invalid-parameter", "refund_amount");
  std::string request_no = text(biz, "out_request_no");
  if (request_no.empty()) request_no = order->bill_id;  // Alipay's default: one full refund per trade
  std::string refusal;
  bool fund_change = false;
  auto changed = state.modify("alipay", merchant.seller_id, order->bill_id, [&](Order& o) {
    if (o.refunds.count(request_no)) return;  // the same request again: answered, no money moves
    if (o.state != OrderState::paid && o.state != OrderState::refunded) {
      refusal = business_failed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
    } else if (o.refunded_minor() + *amount > o.amount_minor) {
      refusal = business_failed("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限");
    } else {
      std::string refund_no("R");  // appended, not "R" + ...: g++ 12 warns -Wrestrict in Release
      refund_no += random_digits(20);
      o.refunds[request_no] = Refund{request_no, std::move(refund_no), *amount, now_s};
      o.state = OrderState::refunded;
      fund_change = true;
    }
  });
  if (!refusal.empty()) return refusal;
  return refund_answer(*changed, fund_change, now_s);
}

}  // namespace

std::string alipay_trade_no(int64_t now_s) {
  return channels::format_beijing_time(now_s, "%Y%m%d") + "22001" + random_digits(15);
}

http::Response alipay_gateway(SimState& state, const http::Request& request, int64_t now_s) {
  auto fields = request_fields(request);
  if (!fields) return json_response(R"({"error_response":{"code":"40002","msg":"Invalid Arguments"}})");
  const std::string method = field(*fields, "method");
  const std::string response_key = method.empty() ? "error_response" : alipay::response_key(method);
  auto unsigned_answer = [&](std::string inner) {
    std::string body("{\"");  // appends: g++ 12 warns -Wrestrict on "lit" + std::string in Release
    body.append(response_key).append("\":").append(inner).append("}");
    return json_response(std::move(body));
  };
  auto merchant = state.alipay_by_app_id(field(*fields, "app_id"));
  if (!merchant)
    return unsigned_answer(error_body("40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数"));
  auto signed_answer = [&](const std::string& inner) {
    return json_response(alipay::signed_gateway_answer(method, inner, merchant->alipay_key));
  };
  if (!alipay::verify_gateway_request(*fields, merchant->app_public_key)) {
    return signed_answer(error_body("40002", "Invalid Arguments", "isv.invalid-signature", "验签出错"));
  }
  auto biz = json::parse(field(*fields, "biz_content"));
  if (!biz || !biz->is_object()) {
    return signed_answer(error_body("40002", "Invalid Arguments", "isv.invalid-parameter", "biz_content"));
  }
  if (method == "alipay.trade.query") return signed_answer(trade_query(state, *merchant, *biz));
  if (method == "alipay.trade.refund") return signed_answer(trade_refund(state, *merchant, *biz, now_s));
  return signed_answer(error_body("40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名"));
}

Result<Order> alipay_order_from_order_string(const SimState& state, std::string_view order_string,
                                             int64_t now_s) {
  auto fields = channels::form::parse(order_string, alipay::kMaxFormFields);
  if (!fields) return fields.error();
  auto merchant = state.alipay_by_app_id(field(*fields, "app_id"));
  if (!merchant) return make_error(Errc::not_found, "no simulated Alipay app " + field(*fields, "app_id"));
  if (auto s = alipay::verify_gateway_request(*fields, merchant->app_public_key); !s) return s.error();
  if (field(*fields, "method") != "alipay.trade.app.pay") {
    return make_error(Errc::invalid_parameter, "the order string is not alipay.trade.app.pay");
  }
  auto biz = json::parse(field(*fields, "biz_content"));
  if (!biz || !biz->is_object())
    return make_error(Errc::invalid_parameter, "biz_content is not a JSON object");
  Order order;
  order.channel = "alipay";
  order.merchant = merchant->seller_id;
  order.bill_id = text(*biz, "out_trade_no");
  order.subject = text(*biz, "subject");
  const std::string currency = text(*biz, "trans_currency");
  order.currency = currency.empty() ? std::string(kDefaultCurrency) : currency;
  auto amount = channels::parse_decimal_amount(text(*biz, "total_amount"), order.currency);
  if (!amount || order.bill_id.empty())
    return make_error(Errc::invalid_parameter, "out_trade_no and total_amount are required");
  order.amount_minor = *amount;
  order.notify_url = field(*fields, "notify_url");
  order.trade_no = alipay_trade_no(now_s);
  return order;
}

}  // namespace unipay::sim
