#include "bench/provider_sim/stripe_api.hpp"

#include "net/channels/form.hpp"
#include "net/channels/stripe_provider.hpp"
#include "net/crypto.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

namespace form = channels::form;

constexpr std::string_view kIntents = "/v1/payment_intents";
constexpr std::string_view kSearch = "/v1/payment_intents/search";
constexpr std::string_view kRefunds = "/v1/refunds";
constexpr std::string_view kQueryPrefix = "metadata['bill_id']:'";
constexpr size_t kMaxFormFields = 64;

struct Answer {
  int status = 200;
  std::string body;
};

// Stripe's error envelope.
Answer fail(int status, std::string_view type, std::string_view message) {
  json::Writer out;
  out.begin_object().key("error").begin_object().key("type").string(type).key("message").string(message);
  out.end_object().end_object();
  return {status, out.take()};
}

std::string lower(std::string text) {
  for (char& c : text) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return text;
}
std::string upper(std::string text) {
  for (char& c : text) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return text;
}

std::string field(const form::Fields& fields, std::string_view key) {
  const std::string* value = form::find(fields, key);
  return value ? *value : std::string();
}

std::optional<int64_t> positive(const std::string& text) {
  if (text.empty() || text.size() > 15 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  const int64_t value = std::stoll(text);
  return value > 0 ? std::optional<int64_t>(value) : std::nullopt;
}

std::string bill_of_intent(std::string_view id) {
  if (!id.starts_with("pi_") || (id.size() - 3) % 2 != 0) return {};
  std::string bill_id;
  for (size_t i = 3; i + 1 < id.size(); i += 2) {
    const std::string byte(id.substr(i, 2));
    if (byte.find_first_not_of("0123456789abcdef") != std::string::npos) return {};
    bill_id += static_cast<char>(std::stoi(byte, nullptr, 16));
  }
  return bill_id;
}

std::string_view intent_status(const Order& order) {
  switch (order.state) {
    case OrderState::paid:
    case OrderState::refunded:
      return "succeeded";
    case OrderState::closed:
      return "canceled";
    case OrderState::pending:
      break;
  }
  return "requires_payment_method";
}

void write_metadata(json::Writer& out, const std::string& bill_id, const std::string& refund_no = {}) {
  out.key("metadata").begin_object();
  if (!bill_id.empty()) out.key("bill_id").string(bill_id);
  if (!refund_no.empty()) out.key("refund_id").string(refund_no);
  out.end_object();
}

void write_intent(json::Writer& out, const Order& order, bool failed) {
  const bool paid = order.state == OrderState::paid || order.state == OrderState::refunded;
  out.begin_object().key("id").string(order.trade_no).key("object").string("payment_intent");
  out.key("amount").integer(order.amount_minor).key("amount_received").integer(paid ? order.amount_minor : 0);
  out.key("currency").string(lower(order.currency)).key("status").string(intent_status(order));
  out.key("client_secret").string(order.prepay_id).key("description").string(order.subject);
  out.key("livemode").boolean(false).key("latest_charge");
  if (paid)
    out.string("ch_" + order.trade_no.substr(3));
  else
    out.null();
  out.key("last_payment_error");
  if (failed)
    out.begin_object().key("code").string("card_declined").key("type").string("card_error").end_object();
  else
    out.null();
  write_metadata(out, order.bill_id);
  out.end_object();
}

std::string intent_json(const Order& order) {
  json::Writer out;
  write_intent(out, order, false);
  return out.take();
}

void write_refund(json::Writer& out, const Order& order, const Refund& refund) {
  out.begin_object().key("id").string(refund.refund_id).key("object").string("refund");
  out.key("amount").integer(refund.amount_minor).key("currency").string(lower(order.currency));
  out.key("payment_intent").string(order.trade_no).key("charge").string("ch_" + order.trade_no.substr(3));
  out.key("status").string("succeeded").key("created").integer(refund.created_s);
  write_metadata(out, order.bill_id, refund.refund_no);
  out.end_object();
}

// The charge of a refunded PaymentIntent; its refunds list, newest first. Charges do not
// copy the PaymentIntent's metadata (as at Stripe): the bill is named by the refund's.
void write_charge(json::Writer& out, const Order& order) {
  out.begin_object().key("id").string("ch_" + order.trade_no.substr(3)).key("object").string("charge");
  out.key("amount").integer(order.amount_minor).key("amount_refunded").integer(order.refunded_minor());
  out.key("currency").string(lower(order.currency)).key("payment_intent").string(order.trade_no);
  out.key("paid").boolean(true).key("refunded").boolean(order.refunded_minor() == order.amount_minor);
  out.key("metadata").begin_object().end_object();
  out.key("refunds").begin_object().key("object").string("list").key("data").begin_array();
  const Refund* latest = nullptr;
  for (const auto& [no, refund] : order.refunds) {
    if (!latest || refund.created_s >= latest->created_s) latest = &refund;
  }
  if (latest) write_refund(out, order, *latest);
  out.end_array().end_object().end_object();
}

Answer create_intent(SimState& state, const StripeMerchant& merchant, const form::Fields& fields,
                     std::string_view idempotency_key) {
  Order order{"stripe", merchant.account_id, field(fields, "metadata[bill_id]")};
  const auto amount = positive(field(fields, "amount"));
  order.currency = upper(field(fields, "currency"));
  if (order.bill_id.empty() || !amount || order.currency.size() != 3)
    return fail(400, "invalid_request_error", "amount, currency and metadata[bill_id] are required");
  order.amount_minor = *amount;
  if (auto existing = state.order("stripe", merchant.account_id, order.bill_id)) {
    if (existing->amount_minor != order.amount_minor || existing->currency != order.currency) {
      const bool same_key = !idempotency_key.empty() && existing->idempotency_key == idempotency_key;
      return fail(400, same_key ? "idempotency_error" : "invalid_request_error",
                  same_key ? "Keys for idempotent requests can only be used with the same parameters"
                           : "the simulator keeps one PaymentIntent per metadata[bill_id]");
    }
    return {200, intent_json(*existing)};  // the same PaymentIntent again
  }
  order.subject = field(fields, "description");
  order.notify_url = merchant.webhook_url;
  order.trade_no = stripe_intent_id(order.bill_id);
  order.prepay_id = order.trade_no + "_secret_" + crypto::random_hex(12);
  order.idempotency_key = std::string(idempotency_key);
  if (!state.put(order)) return fail(500, "api_error", "too many simulated orders");
  return {200, intent_json(order)};
}

Answer search(const SimState& state, const StripeMerchant& merchant, const http::Request& request) {
  std::vector<std::pair<std::string, std::string>> params;
  std::string query;
  if (http::parse_query(request.query, params)) {
    for (const auto& [k, v] : params) query = k == "query" ? v : query;
  }
  if (!query.starts_with(kQueryPrefix) || !query.ends_with("'") || query.size() <= kQueryPrefix.size() + 1)
    return fail(400, "invalid_request_error", "the simulator searches only metadata['bill_id']:'...'");
  const std::string bill_id = query.substr(kQueryPrefix.size(), query.size() - kQueryPrefix.size() - 1);
  json::Writer out;
  out.begin_object().key("object").string("search_result").key("url").string(kSearch);
  out.key("has_more").boolean(false).key("data").begin_array();
  if (auto order = state.order("stripe", merchant.account_id, bill_id)) write_intent(out, *order, false);
  out.end_array().end_object();
  return {200, out.take()};
}

Answer retrieve(const SimState& state, const StripeMerchant& merchant, std::string_view id) {
  const std::string bill_id = bill_of_intent(id);
  auto order = bill_id.empty() ? std::nullopt : state.order("stripe", merchant.account_id, bill_id);
  if (!order) return fail(404, "invalid_request_error", "No such payment_intent");
  return {200, intent_json(*order)};
}

// POST /v1/refunds: of a succeeded PaymentIntent, the amount (default: what is left); the
// Idempotency-Key (else metadata[refund_id]) names the refund, so a retry makes no second.
Answer create_refund(SimState& state, const StripeMerchant& merchant, const form::Fields& fields,
                     std::string_view idempotency_key, int64_t now_s) {
  const std::string bill_id = bill_of_intent(field(fields, "payment_intent"));
  std::string refund_no(idempotency_key.empty() ? field(fields, "metadata[refund_id]") : idempotency_key);
  if (refund_no.empty()) refund_no = "re_" + crypto::random_hex(12);
  const std::string amount_text = field(fields, "amount");
  const auto amount = positive(amount_text);
  if (bill_id.empty() || (!amount_text.empty() && !amount))
    return fail(400, "invalid_request_error", "payment_intent is required; amount must be positive");
  Answer refusal;
  Refund made;
  auto changed = state.modify("stripe", merchant.account_id, bill_id, [&](Order& o) {
    const int64_t refund_minor = amount ? *amount : o.amount_minor - o.refunded_minor();
    if (auto it = o.refunds.find(refund_no); it != o.refunds.end()) {
      made = it->second;
    } else if (o.state != OrderState::paid && o.state != OrderState::refunded) {
      refusal = fail(400, "invalid_request_error",
                     "This PaymentIntent does not have a successful charge to refund.");
    } else if (refund_minor <= 0 || o.refunded_minor() + refund_minor > o.amount_minor) {
      refusal =
          fail(400, "invalid_request_error", "Refund amount is greater than unrefunded amount on charge");
    } else {
      made = Refund{refund_no, "re_" + crypto::random_hex(12), refund_minor, now_s};
      o.refunds[refund_no] = made;
      o.state = OrderState::refunded;
    }
  });
  if (!changed) return fail(404, "invalid_request_error", "No such payment_intent");
  if (!refusal.body.empty()) return refusal;
  json::Writer out;
  write_refund(out, *changed, made);
  return {200, out.take()};
}

Answer route(SimState& state, const StripeMerchant& merchant, const http::Request& request, int64_t now_s) {
  if (request.method == "GET" && request.path == kSearch) return search(state, merchant, request);
  if (request.method == "GET" && request.path.starts_with(std::string(kIntents) + "/"))
    return retrieve(state, merchant, std::string_view(request.path).substr(kIntents.size() + 1));
  if (request.method != "POST" || (request.path != kIntents && request.path != kRefunds))
    return fail(404, "invalid_request_error", "Unrecognized request URL");
  auto fields = form::parse(request.body, kMaxFormFields);
  if (!fields) return fail(400, "invalid_request_error", fields.error().message);
  const std::string_view key = request.header("idempotency-key");
  if (request.path == kIntents) return create_intent(state, merchant, *fields, key);
  return create_refund(state, merchant, *fields, key, now_s);
}

Result<std::string> event_type(const NotifyInput& input) {
  if (input.outcome == "paid") return std::string("payment_intent.succeeded");
  if (input.outcome == "failed") return std::string("payment_intent.payment_failed");
  if (input.outcome == "refunded") return std::string("charge.refunded");
  return make_error(Errc::invalid_parameter, "stripe outcomes are paid, failed and refunded");
}

std::string event_json(const Order& order, const std::string& type, int64_t now_s) {
  json::Writer out;
  out.begin_object().key("id").string("evt_" + crypto::random_hex(12)).key("object").string("event");
  out.key("api_version").string("2024-06-20").key("created").integer(now_s).key("livemode").boolean(false);
  out.key("type").string(type).key("data").begin_object().key("object");
  if (type == "charge.refunded")
    write_charge(out, order);
  else
    write_intent(out, order, type == "payment_intent.payment_failed");
  out.end_object().end_object();
  return out.take();
}

}  // namespace

std::string stripe_intent_id(std::string_view bill_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "pi_";
  for (unsigned char c : bill_id) {
    id += kHex[c >> 4];
    id += kHex[c & 15];
  }
  return id;
}

// Signature tampering changes the amount after signing; stale_timestamp signs with a t=
// kStaleS old (beyond Stripe's 300 s tolerance).
Result<Notification> stripe_notification(const StripeMerchant& merchant, const NotifyInput& input,
                                         int64_t now_s) {
  auto type = event_type(input);
  if (!type) return type.error();
  const Tamper t = input.tamper;
  if (t != Tamper::none && t != Tamper::signature && t != Tamper::amount && t != Tamper::currency &&
      t != Tamper::stale_timestamp)
    return make_error(Errc::invalid_parameter,
                      "stripe tampering: signature, amount, currency, stale_timestamp");
  Order order = stated_order(input);
  if (order.trade_no.empty()) order.trade_no = stripe_intent_id(order.bill_id);
  const int64_t signed_at_s = t == Tamper::stale_timestamp ? now_s - kStaleS : now_s;
  std::string body = event_json(order, *type, now_s);
  const std::string signature =
      channels::stripe::signature_header(merchant.webhook_secret, signed_at_s, body);
  if (t == Tamper::signature) {
    order.amount_minor += 1;
    body = event_json(order, *type, now_s);
  }
  return Notification{{{"content-type", "application/json; charset=utf-8"},
                       {"stripe-signature", signature},
                       {"user-agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}},
                      std::move(body)};
}

http::Response stripe_api(SimState& state, const http::Request& request, int64_t now_s) {
  Answer answer;
  const std::string_view authorization = request.header("authorization");
  std::optional<StripeMerchant> merchant;
  if (authorization.starts_with("Bearer ")) merchant = state.stripe_by_secret_key(authorization.substr(7));
  if (!merchant)
    answer = fail(401, "invalid_request_error", "Invalid API Key provided");
  else
    answer = route(state, *merchant, request, now_s);
  http::Response response;
  response.status = answer.status;
  response.body = std::move(answer.body);
  response.headers.push_back({"request-id", "req_" + crypto::random_hex(7)});
  return response;
}

}  // namespace unipay::sim
