#include "net/channels/stripe_adapter.hpp"

#include <charconv>

#include "net/channels/credential_fields.hpp"
#include "net/channels/form.hpp"
#include "net/channels/json_fields.hpp"
#include "net/crypto.hpp"
#include "net/http_errors.hpp"

namespace unipay::channels {
namespace {

constexpr size_t kMaxWebhookSecrets = 8;
constexpr size_t kMaxSecretBytes = 256;
constexpr size_t kMaxIdBytes = 255;  // Stripe's object ids are shorter; metadata values up to 500
constexpr std::string_view kPaymentIntentsPath = "/v1/payment_intents";
constexpr std::string_view kRefundsPath = "/v1/refunds";

using Kind = json::Value::Kind;

Error invalid(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }
Error unknown_outcome(std::string message) { return make_error(Errc::server_busy, std::move(message)); }

std::string upper(std::string text) {
  for (char& c : text) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return text;
}
std::string lower(std::string text) {
  for (char& c : text) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return text;
}

std::string metadata_bill_id(const json::Value& object) {
  const json::Value* metadata = object.find("metadata");
  return metadata ? text_of(*metadata, "bill_id") : std::string();
}

// amount and currency of a PaymentIntent or Charge; Stripe's currency is lowercase ISO 4217.
Status read_money(const json::Value& object, ProviderResult& result) {
  const auto amount = integer_of(object, "amount");
  result.currency = upper(text_of(object, "currency"));
  if (!amount || *amount < 0 || result.currency.size() != 3)
    return invalid("a Stripe object needs an integer amount and a three-letter currency");
  result.amount_minor = *amount;
  return ok_status();
}

Result<ProviderResult> read_payment_intent(const json::Value& pi, std::string_view event_type) {
  ProviderResult result;
  result.bill_id = metadata_bill_id(pi);
  result.trade_no = text_of(pi, "id");
  if (result.bill_id.empty()) return ProviderResult{};  // a PaymentIntent unipay did not make
  if (result.bill_id.size() > kMaxIdBytes || result.trade_no.empty() || result.trade_no.size() > kMaxIdBytes)
    return invalid("the PaymentIntent needs an id and a bill_id of at most 255 bytes");
  if (auto s = read_money(pi, result); !s) return s.error();
  const std::string status = text_of(pi, "status");
  if (event_type == "payment_intent.payment_failed")
    result.status = ProviderStatus::failed;
  else if (status == "succeeded")
    result.status = ProviderStatus::paid;
  else if (status == "canceled")
    result.status = ProviderStatus::closed;
  else
    result.status = ProviderStatus::pending;  // processing, requires_*: not decided yet
  return result;
}

// charge.refunded: the charge's PaymentIntent is the trade; refunded once money went back.
// The bill comes from the charge's metadata, else from the refund's (refunds unipay made
// carry it); a refund made in the Dashboard of a charge without it names only the
// PaymentIntent (bill_id "": the bill is the one paid with that trade number).
Result<ProviderResult> read_refunded_charge(const json::Value& charge) {
  ProviderResult result;
  const json::Value* refunds = charge.find("refunds");
  const json::Value* data = refunds ? refunds->find("data") : nullptr;
  const json::Value* latest =
      data && data->kind == Kind::array && !data->items.empty() ? &data->items[0] : nullptr;
  result.bill_id = metadata_bill_id(charge);
  if (result.bill_id.empty() && latest) result.bill_id = metadata_bill_id(*latest);
  if (latest) result.refund_id = text_of(*latest, "id");
  result.trade_no = text_of(charge, "payment_intent");
  if (result.bill_id.size() > kMaxIdBytes || result.trade_no.empty() || result.trade_no.size() > kMaxIdBytes)
    return invalid("the refunded charge needs a payment_intent and a bill_id of at most 255 bytes");
  if (auto s = read_money(charge, result); !s) return s.error();
  const auto refunded = integer_of(charge, "amount_refunded");
  if (!refunded || *refunded <= 0 || *refunded > result.amount_minor)
    return invalid("charge.amount_refunded must be in [1, amount]");
  result.status = ProviderStatus::refunded;
  result.refund_amount_minor = *refunded;
  return result;
}

Result<ProviderResult> read_event(const json::Value& event) {
  if (!event.is_object()) return invalid("the webhook body must be a JSON object");
  const std::string type = text_of(event, "type");
  const json::Value* data = event.find("data");
  const json::Value* object = data ? data->find("object") : nullptr;
  if (type.empty() || !object || !object->is_object()) return invalid("an event needs type and data.object");
  if (type == "payment_intent.succeeded" || type == "payment_intent.payment_failed")
    return read_payment_intent(*object, type);
  if (type == "charge.refunded") return read_refunded_charge(*object);
  return ProviderResult{};
}

OutboundRequest api_request(const StripeCredentials& credentials, std::string method, std::string url,
                            std::string idempotency_key, std::string form_body) {
  OutboundRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  std::string authorization = "Bearer ";
  authorization += credentials.secret_key;
  request.headers = {{"authorization", std::move(authorization)}, {"accept", "application/json"}};
  if (!idempotency_key.empty()) request.headers.push_back({"idempotency-key", std::move(idempotency_key)});
  if (!form_body.empty()) request.headers.push_back({"content-type", "application/x-www-form-urlencoded"});
  request.body = std::move(form_body);
  return request;
}

// A non-2xx answer: Stripe's own 4xx refusal (but 409 idempotency races and 429) cannot succeed
// by retrying; anything else leaves the outcome unknown.
Error api_error(const OutboundResponse& response, std::string_view what) {
  auto body = json::parse(response.body);
  const json::Value* error = body && body->is_object() ? body->find("error") : nullptr;
  std::string message = "Stripe ";
  message += what;
  message += " answered HTTP " + std::to_string(response.status);
  if (error) message += ": " + text_of(*error, "message").substr(0, 200);
  const bool refusal =
      response.status >= 400 && response.status < 500 && response.status != 429 && response.status != 409;
  return refusal ? invalid(std::move(message)) : unknown_outcome(std::move(message));
}

Result<json::Value> answer_object(const OutboundResponse& response, std::string_view what) {
  if (response.status != 200) return api_error(response, what);
  auto body = json::parse(response.body);
  if (!body || !body->is_object()) return unknown_outcome("Stripe's answer is not a JSON object");
  return body;
}

Step<PayParameters> pay_parameters(const OutboundResponse& response, const std::string& bill_id) {
  auto pi = answer_object(response, "PaymentIntent create");
  if (!pi) return pi.error();
  const std::string client_secret = text_of(*pi, "client_secret");
  if (client_secret.empty() || metadata_bill_id(*pi) != bill_id)
    return unknown_outcome("Stripe's PaymentIntent has no client_secret or names another bill");
  json::Writer out;
  out.begin_object().key("client_secret").string(client_secret).end_object();
  return PayParameters{out.take()};
}

// The PaymentIntent read as a statement about `bill`.
Result<ProviderResult> for_bill(const json::Value& pi, const BillView& bill) {
  auto result = read_payment_intent(pi, "");
  if (!result) return unknown_outcome("Stripe's PaymentIntent: " + result.error().message);
  if (result->bill_id != bill.bill_id) return unknown_outcome("Stripe answered about another bill");
  return result;
}

// Search answers {"data": [PaymentIntent...]}: the succeeded one if any, else the newest.
Step<ProviderResult> search_answer(const OutboundResponse& response, const BillView& bill) {
  auto list = answer_object(response, "PaymentIntent search");
  if (!list) return list.error();
  const json::Value* data = list->find("data");
  if (!data || data->kind != Kind::array) return unknown_outcome("Stripe's search answer has no data");
  if (data->items.empty()) {
    ProviderResult none;
    none.status = ProviderStatus::pending;
    none.bill_id = bill.bill_id;
    return none;
  }
  for (const auto& pi : data->items) {
    if (text_of(pi, "status") == "succeeded") return for_bill(pi, bill);
  }
  return for_bill(data->items.front(), bill);
}

std::string search_url(const std::string& base, const std::string& bill_id) {
  const std::string query = "metadata['bill_id']:'" + bill_id + "'";
  return base + std::string(kPaymentIntentsPath) + "/search?query=" + form::encode_component(query);
}

Step<RefundResult> refund_answer(const OutboundResponse& response) {
  auto refund = answer_object(response, "refund");
  if (!refund) return refund.error();
  RefundResult result;
  result.provider_refund_id = text_of(*refund, "id");
  const std::string status = text_of(*refund, "status");
  if (status == "succeeded")
    result.status = ProviderStatus::refunded;
  else if (status == "failed" || status == "canceled")
    result.status = ProviderStatus::failed;
  else
    result.status = ProviderStatus::pending;  // pending, requires_action: a webhook follows
  return result;
}

// Refunds need the PaymentIntent: found by the bill id, then POST /v1/refunds.
Step<RefundResult> refund_succeeded(const OutboundResponse& response,
                                    std::shared_ptr<const StripeCredentials> credentials,
                                    const std::string& base, const RefundInput& input) {
  auto found = search_answer(response, input.bill);
  if (!found.done()) return unknown_outcome("unexpected provider call");
  if (!found.result()) return found.result().error();
  const ProviderResult& pi = *found.result();
  if (pi.status != ProviderStatus::paid)
    return invalid("the bill has no succeeded Stripe PaymentIntent to refund");
  const std::string body = form::encode({{"payment_intent", pi.trade_no},
                                         {"amount", std::to_string(input.amount_minor)},
                                         {"metadata[bill_id]", input.bill.bill_id},
                                         {"metadata[refund_id]", input.refund_id},
                                         {"metadata[reason]", input.reason}});
  return Step<RefundResult>::call(
      api_request(*credentials, "POST", base + std::string(kRefundsPath), input.refund_id, body),
      refund_answer);
}

std::vector<std::string> read_webhook_secrets(CredentialReader& reader, const json::Value& fields) {
  const json::Value* secrets = fields.is_object() ? fields.find("webhook_secrets") : nullptr;
  std::vector<std::string> out;
  if (!secrets || secrets->kind != Kind::array || secrets->items.empty() ||
      secrets->items.size() > kMaxWebhookSecrets) {
    reader.problem("webhook_secrets must be an array of 1 to " + std::to_string(kMaxWebhookSecrets) +
                   " secrets");
    return out;
  }
  for (const auto& item : secrets->items) {
    if (item.kind != Kind::string || !item.string.starts_with("whsec_") ||
        item.string.size() > kMaxSecretBytes)
      reader.problem("webhook_secrets holds a value that is not a whsec_ secret");
    else
      out.push_back(item.string);
  }
  return out;
}

class StripeAdapter final : public ChannelAdapter {
 public:
  std::string_view name() const override { return "stripe"; }
  ChannelTraits traits() const override { return {.has_query = true, .has_refund = true}; }

  Result<CredentialsPtr> parse_credentials(const json::Value& fields) const override {
    CredentialReader reader("stripe", fields);
    auto credentials = std::make_shared<StripeCredentials>();
    credentials->secret_key = reader.text("secret_key", kMaxSecretBytes);
    if (!credentials->secret_key.empty() && !credentials->secret_key.starts_with("sk_") &&
        !credentials->secret_key.starts_with("rk_"))
      reader.problem("secret_key must be a Stripe secret key (sk_... or rk_...)");
    credentials->webhook_secrets = read_webhook_secrets(reader, fields);
    reader.refuse_unknown({"secret_key", "webhook_secrets"});
    if (auto s = reader.finish(); !s) return s.error();
    return CredentialsPtr(std::move(credentials));
  }

  // POST /v1/payment_intents; the bill id is the Idempotency-Key, so a retried create makes
  // no second PaymentIntent, and metadata[bill_id], which every webhook and search echoes.
  Step<PayParameters> prepare(const ChannelContext& context, const PrepareInput& input) const override {
    auto credentials = credentials_as<StripeCredentials>(context);
    const BillView& bill = input.bill;
    const std::string body = form::encode({{"amount", std::to_string(bill.amount_minor)},
                                           {"currency", lower(bill.currency)},
                                           {"description", bill.item_id},
                                           {"metadata[bill_id]", bill.bill_id},
                                           {"metadata[app_id]", bill.app_id},
                                           {"automatic_payment_methods[enabled]", "true"}});
    return Step<PayParameters>::call(
        api_request(*credentials, "POST", context.providers.stripe + std::string(kPaymentIntentsPath),
                    bill.bill_id, body),
        [bill_id = bill.bill_id](const OutboundResponse& r) { return pay_parameters(r, bill_id); });
  }

  Step<ProviderResult> verify_callback(const ChannelContext& context,
                                       const CallbackInput& input) const override {
    auto credentials = credentials_as<StripeCredentials>(context);
    auto verified = stripe::verify_signature(input.header("stripe-signature"), input.body,
                                             credentials->webhook_secrets, context.now_s);
    if (!verified) return verified.error();
    auto body = json::parse(input.body, input.json_limits);
    if (!body) return body.error();
    return read_event(*body);
  }

  http::Response answer(CallbackOutcome outcome, const Error* refusal) const override {
    if (outcome == CallbackOutcome::refused) {
      assert(refusal != nullptr);
      return http::error_response(*refusal);  // non-2xx: Stripe retries for up to three days
    }
    http::Response response;
    response.body = R"({"received":true})";
    return response;
  }

  Step<ProviderResult> query(const ChannelContext& context, const BillView& bill) const override {
    auto credentials = credentials_as<StripeCredentials>(context);
    return Step<ProviderResult>::call(
        api_request(*credentials, "GET", search_url(context.providers.stripe, bill.bill_id), "", ""),
        [bill](const OutboundResponse& r) { return search_answer(r, bill); });
  }

  Step<RefundResult> refund(const ChannelContext& context, const RefundInput& input) const override {
    auto credentials = credentials_as<StripeCredentials>(context);
    const std::string base = context.providers.stripe;
    return Step<RefundResult>::call(
        api_request(*credentials, "GET", search_url(base, input.bill.bill_id), "", ""),
        [credentials, base, input](const OutboundResponse& r) {
          return refund_succeeded(r, credentials, base, input);
        });
  }
};

// "t=...,v1=...,v1=...": the timestamp and the v1 signatures (other schemes ignored).
Status split_header(std::string_view header, std::string_view& timestamp, std::vector<std::string_view>& v1) {
  while (!header.empty()) {
    const size_t comma = header.find(',');
    const std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    if (item.starts_with("t="))
      timestamp = item.substr(2);
    else if (item.starts_with("v1=") && v1.size() < stripe::kMaxSignatures)
      v1.push_back(item.substr(3));
  }
  if (timestamp.empty() || v1.empty())
    return make_error(Errc::bad_signature, "Stripe-Signature needs t= and at least one v1=");
  return ok_status();
}

}  // namespace

namespace stripe {

Status verify_signature(std::string_view header, std::string_view body,
                        const std::vector<std::string>& secrets, int64_t now_s) {
  std::string_view timestamp;
  std::vector<std::string_view> v1;
  if (auto s = split_header(header, timestamp, v1); !s) return s;
  int64_t sent_s = 0;
  auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), sent_s);
  if (ec != std::errc() || end != timestamp.data() + timestamp.size() || sent_s < 0)
    return make_error(Errc::bad_signature, "Stripe-Signature t= is not unix seconds");
  std::string signed_payload(timestamp);
  signed_payload += '.';
  signed_payload += body;
  bool matched = false;
  for (const std::string& secret : secrets) {
    const std::string expected = crypto::hmac_sha256_hex(secret, signed_payload);
    for (std::string_view candidate : v1)
      matched = matched || (!expected.empty() && crypto::constant_time_equal(expected, candidate));
  }
  if (!matched) return make_error(Errc::bad_signature, "no Stripe-Signature v1 matches a webhook secret");
  // Checked after the signature, as Stripe's libraries do, so t= itself is authenticated.
  if (sent_s < now_s - kToleranceS || sent_s > now_s + kToleranceS)
    return make_error(Errc::stale_timestamp, "Stripe-Signature t= is more than 300 s off");
  return ok_status();
}

Step<ProviderResult> retrieve_payment_intent(const ChannelContext& context, const BillView& bill,
                                             std::string_view payment_intent_id) {
  auto credentials = credentials_as<StripeCredentials>(context);
  const std::string url = context.providers.stripe + std::string(kPaymentIntentsPath) + "/" +
                          form::encode_component(payment_intent_id);
  return Step<ProviderResult>::call(api_request(*credentials, "GET", url, "", ""),
                                    [bill](const OutboundResponse& r) -> Step<ProviderResult> {
                                      auto pi = answer_object(r, "PaymentIntent retrieve");
                                      if (!pi) return pi.error();
                                      return for_bill(*pi, bill);
                                    });
}

}  // namespace stripe

std::unique_ptr<ChannelAdapter> make_stripe_adapter() { return std::make_unique<StripeAdapter>(); }

}  // namespace unipay::channels
