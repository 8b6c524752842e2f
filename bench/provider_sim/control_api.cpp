#include "bench/provider_sim/control_api.hpp"

#include "bench/provider_sim/alipay_gateway.hpp"
#include "bench/provider_sim/notifications.hpp"
#include "bench/provider_sim/sim_json.hpp"
#include "bench/provider_sim/stripe_api.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

using Kind = json::Value::Kind;

constexpr std::chrono::milliseconds kNotifyTimeout{10000};

std::optional<int64_t> integer(const json::Value& object, std::string_view key) {
  const json::Value* value = object.find(key);
  if (!value || value->kind != Kind::integer) return std::nullopt;
  return value->integer;
}

std::string order_json(const Order& order) {
  json::Writer out;
  out.begin_object();
  out.key("channel").string(order.channel).key("merchant").string(order.merchant);
  out.key("bill_id").string(order.bill_id).key("trade_no").string(order.trade_no);
  out.key("amount_minor").integer(order.amount_minor).key("currency").string(order.currency);
  out.key("state").string(to_string(order.state)).key("refunded_minor").integer(order.refunded_minor());
  out.key("refunds").integer(static_cast<int64_t>(order.refunds.size()));  // refunds made, not retries
  out.key("notify_url").string(order.notify_url);
  out.end_object();
  return out.take();
}

http::Response create_merchant(SimState& state, const json::Value& body) {
  const std::string channel = text(body, "channel");
  json::Writer out;
  out.begin_object().key("channel").string(channel);
  if (channel == "alipay") {
    auto made = state.add_alipay_merchant();
    if (!made) return error(429, "too many simulated merchants");
    const AlipayMerchant& m = made->first;
    out.key("merchant").string(m.seller_id).key("credentials").begin_object();
    out.key("app_id").string(m.app_id).key("seller_id").string(m.seller_id);
    out.key("alipay_public_key").string(m.alipay_key.public_key().pem());
    out.key("app_private_key").string(made->second.pem()).end_object();
  } else if (channel == "wechatpay") {
    auto made = state.add_wechatpay_merchant();
    if (!made) return error(429, "too many simulated merchants");
    const WechatpayMerchant& m = made->first;
    out.key("merchant").string(m.mchid).key("credentials").begin_object();
    out.key("mchid").string(m.mchid).key("appid").string(m.appid).key("apiv3_key").string(m.apiv3_key);
    out.key("merchant_serial").string(m.merchant_serial);
    out.key("merchant_private_key").string(made->second.pem());
    out.key("platform_keys").begin_object().key(m.platform.serial).string(m.platform.key.public_key().pem());
    out.end_object().end_object();
  } else if (channel == "stripe") {
    auto m = state.add_stripe_merchant(text(body, "webhook_url"));
    if (!m) return error(429, "too many simulated merchants");
    out.key("merchant").string(m->account_id).key("credentials").begin_object();
    out.key("secret_key")
        .string(m->secret_key)
        .key("webhook_secrets")
        .begin_array()
        .string(m->webhook_secret);
    out.end_array().end_object();
  } else {
    return error(400, "channel must be alipay, wechatpay or stripe");
  }
  out.end_object();
  return answer(200, out.take());
}

// The provider-side effect of a state: paid assigns the transaction number and time;
// refunded records a full refund when none is recorded.
void apply_state(Order& order, OrderState state, int64_t now_s) {
  if ((state == OrderState::paid || state == OrderState::refunded) && order.paid_at_s == 0) {
    order.paid_at_s = now_s;
    order.trade_no = order.channel == "alipay"   ? alipay_trade_no(now_s)
                     : order.channel == "stripe" ? stripe_intent_id(order.bill_id)
                                                 : "4200" + random_digits(24);
  }
  if (state == OrderState::refunded && order.refunds.empty()) {
    order.refunds[order.bill_id] = Refund{order.bill_id, "50" + random_digits(30), order.amount_minor, now_s};
  }
  order.state = state;
}

std::string merchant_of(const SimState& state, const json::Value& body) {
  std::string merchant = text(body, "merchant");
  if (text(body, "channel") == "alipay") {
    // Alipay merchants may be named by their seller_id or their app_id.
    if (auto m = state.alipay_by_app_id(merchant)) merchant = m->seller_id;
  }
  return merchant;
}

http::Response mark_order(SimState& state, const json::Value& body, int64_t now_s) {
  const std::string channel = text(body, "channel");
  const std::string state_name = text(body, "state").empty() ? "paid" : text(body, "state");
  // A failed attempt leaves the order payable (Stripe: requires_payment_method again).
  auto target = state_name == "failed" ? OrderState::pending : order_state_from(state_name);
  if (!target) return error(400, "state must be pending, failed, paid, closed or refunded");
  std::optional<Order> order;
  if (!text(body, "order_string").empty()) {
    if (channel != "alipay") return error(400, "order_string is Alipay's");
    auto parsed = alipay_order_from_order_string(state, text(body, "order_string"), now_s);
    if (!parsed) return error(400, parsed.error().message);
    order = state.order(channel, parsed->merchant, parsed->bill_id);
    if (!order) order = std::move(*parsed);
  } else {
    order = state.order(channel, merchant_of(state, body), text(body, "bill_id"));
  }
  if (!order) {
    const auto amount = integer(body, "amount_minor");
    if (channel.empty() || text(body, "bill_id").empty() || !amount || *amount <= 0) {
      return error(404, "no such order: give channel, merchant, bill_id and amount_minor to create one");
    }
    order = Order{channel, merchant_of(state, body), text(body, "bill_id")};
    order->amount_minor = *amount;
    if (!text(body, "currency").empty()) order->currency = text(body, "currency");
    order->notify_url = text(body, "notify_url");
    order->subject = text(body, "subject");
  }
  apply_state(*order, *target, now_s);
  if (!state.put(*order)) return error(429, "too many simulated orders");
  return answer(200, order_json(*order));
}

http::Response get_order(const SimState& state, std::string_view path) {
  const std::string_view rest = path.substr(std::string_view("/sim/orders/").size());
  const size_t first = rest.find('/');
  const size_t second = first == std::string_view::npos ? first : rest.find('/', first + 1);
  if (second == std::string_view::npos) return error(404, "use /sim/orders/{channel}/{merchant}/{bill_id}");
  auto order =
      state.order(rest.substr(0, first), rest.substr(first + 1, second - first - 1), rest.substr(second + 1));
  if (!order) return error(404, "no such order");
  return answer(200, order_json(*order));
}

}  // namespace

namespace {

std::optional<OrderState> outcome_state(std::string_view outcome) {
  if (outcome == "paid" || outcome == "finished") return OrderState::paid;
  if (outcome == "closed") return OrderState::closed;
  if (outcome == "refunded") return OrderState::refunded;
  if (outcome == "failed") return OrderState::pending;  // stripe's payment_failed: payable again
  return std::nullopt;
}

// The order a notification speaks of: the simulator's own, with the outcome applied to its
// books when it is sent untampered (a provider only states what happened), or one
// described by the request (another app's bill, a bill the simulator never saw).
Result<Order> notified_order(SimState& state, const json::Value& body, std::string_view outcome, bool commit,
                             int64_t now_s) {
  const std::string channel = text(body, "channel");
  const std::string merchant = merchant_of(state, body);
  auto target = outcome_state(outcome);
  if (!target)
    return make_error(Errc::invalid_parameter, "outcome must be paid, finished, failed, closed or refunded");
  std::optional<Order> order = state.order(channel, merchant, text(body, "bill_id"));
  if (!order) {
    const auto amount = integer(body, "amount_minor");
    if (!amount) return make_error(Errc::not_found, "no such order: give amount_minor (and currency)");
    order = Order{channel, merchant, text(body, "bill_id")};
    order->amount_minor = *amount;
    if (!text(body, "currency").empty()) order->currency = text(body, "currency");
    apply_state(*order, *target, now_s);
    return *order;
  }
  if (commit) {
    order =
        state.modify(channel, merchant, order->bill_id, [&](Order& o) { apply_state(o, *target, now_s); });
  } else {
    apply_state(*order, *target, now_s);
  }
  // A chosen amount or currency: a validly signed statement that differs from the bill.
  if (auto amount = integer(body, "amount_minor")) order->amount_minor = *amount;
  if (!text(body, "currency").empty()) order->currency = text(body, "currency");
  return *order;
}

Result<Notification> build_notification(SimState& state, const json::Value& body, bool dry_run,
                                        int64_t now_s) {
  const std::string channel = text(body, "channel");
  const std::string outcome = text(body, "outcome").empty() ? "paid" : text(body, "outcome");
  auto tamper = tamper_from(text(body, "tamper").empty() ? "none" : text(body, "tamper"));
  if (!tamper) return make_error(Errc::invalid_parameter, "unknown tamper " + text(body, "tamper"));
  if (channel == "alipay") {
    auto merchant = state.alipay_by_seller_id(merchant_of(state, body));
    if (!merchant) return make_error(Errc::not_found, "no such Alipay merchant");
    auto order = notified_order(state, body, outcome, !dry_run && *tamper == Tamper::none, now_s);
    if (!order) return order.error();
    return alipay_notification(*merchant, NotifyInput{*order, outcome, *tamper}, now_s);
  }
  if (channel == "wechatpay") {
    auto merchant = state.wechatpay_by_mchid(text(body, "merchant"));
    if (!merchant) return make_error(Errc::not_found, "no such WeChat Pay merchant");
    auto order = notified_order(state, body, outcome, !dry_run && *tamper == Tamper::none, now_s);
    if (!order) return order.error();
    return wechatpay_notification(*merchant, NotifyInput{*order, outcome, *tamper}, now_s);
  }
  if (channel == "stripe") {
    auto merchant = state.stripe_by_account(text(body, "merchant"));
    if (!merchant) return make_error(Errc::not_found, "no such Stripe merchant");
    auto order = notified_order(state, body, outcome, !dry_run && *tamper == Tamper::none, now_s);
    if (!order) return order.error();
    return stripe_notification(*merchant, NotifyInput{*order, outcome, *tamper}, now_s);
  }
  return make_error(Errc::invalid_parameter, "channel must be alipay, wechatpay or stripe");
}

std::string notification_json(const Notification& notification) {
  json::Writer out;
  out.begin_object().key("headers").begin_object();
  for (const auto& header : notification.headers) out.key(header.name).string(header.value);
  out.end_object().key("body").string(notification.body).end_object();
  return out.take();
}

void notify(SimState& state, DeliveryTransport& transport, const json::Value& body, int64_t now_s,
            const http::Responder& respond) {
  std::string url = text(body, "url");
  if (url.empty()) {
    if (auto order = state.order(text(body, "channel"), merchant_of(state, body), text(body, "bill_id"))) {
      url = order->notify_url;
    }
  }
  const json::Value* send = body.find("send");
  const bool dry_run = send && send->kind == Kind::boolean && !send->boolean;
  if (url.empty() && !dry_run) return respond(error(400, "url is required (the order has no notify_url)"));
  auto notification = build_notification(state, body, dry_run, now_s);
  if (!notification) {
    return respond(
        error(notification.error().code == Errc::not_found ? 404 : 400, notification.error().message));
  }
  if (dry_run) return respond(answer(200, notification_json(*notification)));
  OutboundRequest request;
  request.url = url;
  for (const auto& header : notification->headers) request.headers.emplace_back(header.name, header.value);
  request.body = std::move(notification->body);
  request.timeout = kNotifyTimeout;
  transport.post(std::move(request), [respond](Result<OutboundResponse> result) {
    if (!result) return respond(error(502, result.error().message));
    json::Writer out;
    out.begin_object().key("status").integer(result->status).key("body").string(result->body).end_object();
    respond(answer(200, out.take()));
  });
}

}  // namespace

void control_api(SimState& state, DeliveryTransport& transport, const http::Request& request, int64_t now_s,
                 const http::Responder& respond) {
  if (request.method == "GET" && request.path.starts_with("/sim/orders/")) {
    return respond(get_order(state, request.path));
  }
  if (request.method != "POST") return respond(error(404, "no such control endpoint"));
  auto body = json::parse(request.body);
  if (!body || !body->is_object()) return respond(error(400, "the body must be a JSON object"));
  if (request.path == "/sim/merchants") return respond(create_merchant(state, *body));
  if (request.path == "/sim/orders") return respond(mark_order(state, *body, now_s));
  if (request.path == "/sim/notify") return notify(state, transport, *body, now_s, respond);
  if (request.path == "/sim/outage") {
    auto requests = integer(*body, "requests");
    if (!requests || *requests < 0) return respond(error(400, "requests must be an integer >= 0"));
    state.start_outage(*requests);
    return respond(answer(200, R"({"ok":true})"));
  }
  respond(error(404, "no such control endpoint"));
}

}  // namespace unipay::sim
