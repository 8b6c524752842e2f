#include "net/channels/google_adapter.hpp"

#include "net/base64.hpp"
#include "net/channels/credential_fields.hpp"
#include "net/channels/form.hpp"
#include "net/channels/json_fields.hpp"
#include "net/http_errors.hpp"

namespace unipay::channels {
namespace {

constexpr size_t kMaxProducts = 1024;
constexpr size_t kMaxPushCerts = 8;
constexpr size_t kMaxPurchaseTokenBytes = 4096;
constexpr size_t kMaxOrderIdBytes = 128;
constexpr std::string_view kApplicationsPath = "/androidpublisher/v3/applications/";

using Kind = json::Value::Kind;
using CredentialsRef = std::shared_ptr<const GoogleCredentials>;

Error invalid(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }
Error unknown_outcome(std::string message) { return make_error(Errc::server_busy, std::move(message)); }
std::string clipped(std::string_view text) { return std::string(text.substr(0, 64)); }

// Runs `then` with an access token: the cached one, or one fetched from token_uri first.
template <class Then>
Step<ProviderResult> with_token(const CredentialsRef& c, int64_t now_s, Then then) {
  if (auto token = c->access_tokens->get(now_s)) return then(*token);
  auto jwt = google::assertion(c->service_account, now_s);
  if (!jwt) return jwt.error();
  return Step<ProviderResult>::call(google::token_request(c->service_account, *jwt),
                                    [c, now_s, then](const OutboundResponse& r) -> Step<ProviderResult> {
                                      auto token = google::read_token_answer(r, *c->access_tokens, now_s);
                                      if (!token) return token.error();
                                      return then(*token);
                                    });
}

OutboundRequest api_request(std::string method, std::string url, const std::string& token) {
  OutboundRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  std::string authorization = "Bearer ";
  authorization += token;
  request.headers = {{"authorization", std::move(authorization)}, {"accept", "application/json"}};
  return request;
}

// A non-2xx answer: a token Google does not know (400/404/410) can never verify; a refused
// access token is dropped so the next try gets a new one; anything else is unknown.
Error api_error(const OutboundResponse& response, const GoogleCredentials& c, std::string_view what) {
  std::string message = "the Play Developer API ";
  message += what;
  message += " answered HTTP " + std::to_string(response.status);
  if (response.status == 401 || response.status == 403) c.access_tokens->drop();
  const bool refusal = response.status == 400 || response.status == 404 || response.status == 410;
  return refusal ? invalid(std::move(message)) : unknown_outcome(std::move(message));
}

// A ProductPurchase → what it states; `bill` given: it must be that bill's purchase.
Result<ProviderResult> read_purchase(const json::Value& purchase, const GoogleCredentials& c,
                                     const std::optional<BillView>& bill, const std::string& product_id) {
  ProviderResult result;
  result.bill_id = text_of(purchase, "obfuscatedExternalAccountId");
  result.trade_no = text_of(purchase, "orderId");
  const auto state = integer_of(purchase, "purchaseState");
  if (!state || result.trade_no.size() > kMaxOrderIdBytes)
    return invalid("the purchase has no purchaseState");
  result.status = *state == 0   ? ProviderStatus::paid
                  : *state == 1 ? ProviderStatus::failed
                                : ProviderStatus::pending;
  if (result.status == ProviderStatus::paid && result.trade_no.empty())
    return invalid("a paid purchase has no orderId");
  result.provider_app_id = c.package_name;
  // The store's price is its storefront's: the item it sold is what the bill's actor compares
  // (a notification names no bill, so this is its only check of what was bought).
  if (const auto item = c.products.find(product_id); item != c.products.end()) result.item_id = item->second;
  if (!bill) return result;
  // A client's canceled purchase can never pay: refused, the bill stays payable (a new
  // purchase may follow); only the store's own notification may fail the bill.
  if (result.status == ProviderStatus::failed) return invalid("the purchase was canceled (purchaseState 1)");
  if (result.bill_id != bill->bill_id)
    return make_error(Errc::conflict, "the purchase's obfuscatedExternalAccountId is not this bill's (" +
                                          clipped(result.bill_id) + ")");
  const auto item = c.products.find(product_id);
  if (item == c.products.end() || item->second != bill->item_id)
    return make_error(Errc::conflict, "productId " + clipped(product_id) + " is not the bill's item");
  // Google prices per country: the verified product stands for the bill's amount.
  result.amount_minor = bill->amount_minor;
  result.currency = bill->currency;
  return result;
}

std::string purchase_url(const ChannelContext& context, const GoogleCredentials& c,
                         const std::string& product_id, const std::string& token) {
  return context.providers.google + std::string(kApplicationsPath) + form::encode_component(c.package_name) +
         "/purchases/products/" + form::encode_component(product_id) + "/tokens/" +
         form::encode_component(token);
}

// Acknowledged once paid: Google refunds one-time purchases left unacknowledged for 3 days.
Step<ProviderResult> purchase_answer(const OutboundResponse& response, const CredentialsRef& c,
                                     const std::optional<BillView>& bill, const std::string& product_id,
                                     const std::string& url, const std::string& token) {
  if (response.status != 200) return api_error(response, *c, "purchases.products.get");
  auto purchase = json::parse(response.body);
  if (!purchase || !purchase->is_object())
    return unknown_outcome("the Play Developer API answer is not an object");
  auto result = read_purchase(*purchase, *c, bill, product_id);
  if (!result) return result.error();
  if (result->status != ProviderStatus::paid || integer_of(*purchase, "acknowledgementState") == 1)
    return result;
  OutboundRequest ack = api_request("POST", url + ":acknowledge", token);
  ack.headers.push_back({"content-type", "application/json"});
  ack.body = "{}";
  return Step<ProviderResult>::call(std::move(ack),
                                    [c, paid = *result](const OutboundResponse& r) -> Step<ProviderResult> {
                                      if (r.status != 200 && r.status != 204)
                                        return api_error(r, *c, "purchases.products.acknowledge");
                                      return paid;
                                    });
}

const json::Value* push_message(const json::Value& push) {
  const json::Value* message = push.is_object() ? push.find("message") : nullptr;
  return message && message->is_object() ? message : nullptr;
}

// A Pub/Sub push body → the developer notification inside message.data (base64 JSON).
Result<json::Value> read_push(std::string_view body, const json::ParseLimits& limits) {
  auto push = json::parse(body, limits);
  if (!push) return push.error();
  const json::Value* message = push_message(*push);
  if (!message) return invalid("a Pub/Sub push needs a message object");
  auto data = base64::decode(text_of(*message, "data"));
  if (!data) return invalid("message.data is not base64");
  auto notification = json::parse(*data, limits);
  if (!notification || !notification->is_object()) return invalid("message.data is not a JSON object");
  return notification;
}

Step<ProviderResult> read_notification(const ChannelContext& context, const CredentialsRef& c,
                                       const json::Value& notification) {
  const std::string package = text_of(notification, "packageName");
  if (package != c->package_name)
    return make_error(Errc::conflict, "packageName " + clipped(package) + " is not this app's");
  if (const json::Value* voided = notification.find("voidedPurchaseNotification")) {
    // Names the order, not the bill: the bill is the one paid with this trade number.
    ProviderResult refunded;
    refunded.status = ProviderStatus::refunded;
    refunded.trade_no = text_of(*voided, "orderId");
    refunded.refund_id = refunded.trade_no;
    refunded.provider_app_id = c->package_name;
    if (refunded.trade_no.empty() || refunded.trade_no.size() > kMaxOrderIdBytes)
      return invalid("voidedPurchaseNotification needs an orderId");
    return refunded;
  }
  const json::Value* one_time = notification.find("oneTimeProductNotification");
  if (!one_time) return ProviderResult{};  // test, subscription notifications
  const std::string sku = text_of(*one_time, "sku");
  const std::string token = text_of(*one_time, "purchaseToken");
  if (!c->products.contains(sku) || token.empty() || token.size() > kMaxPurchaseTokenBytes)
    return ProviderResult{};
  return google::check_purchase(context, std::nullopt, sku, token);
}

void read_products(CredentialReader& reader, const json::Value* products,
                   std::map<std::string, std::string, std::less<>>& out) {
  if (!products) return;
  if (products->members.empty() || products->members.size() > kMaxProducts)
    reader.problem("products must map 1 to " + std::to_string(kMaxProducts) + " productIds to item ids");
  for (const auto& [product, item] : products->members) {
    if (product.empty() || product.size() > kMaxCredentialIdBytes || item.kind != Kind::string ||
        item.string.empty() || item.string.size() > kMaxCredentialIdBytes)
      reader.problem("products." + clipped(product) + " must be an item id of 1 to 128 bytes");
    else
      out.emplace(product, item.string);
  }
}

void read_certs(CredentialReader& reader, const json::Value* certs, google::PushCerts& out) {
  if (!certs) return;
  if (certs->members.empty() || certs->members.size() > kMaxPushCerts)
    reader.problem("pubsub_certs must name 1 to " + std::to_string(kMaxPushCerts) + " certificates by kid");
  for (const auto& [kid, pem] : certs->members) {
    auto key = reader.public_key_text("pubsub_certs." + clipped(kid), pem);
    if (key) out.emplace(kid, std::move(*key));
  }
}

// service_account: {client_email, private_key, token_uri}, read with its own reader so its
// problems are named "service_account: ...".
std::optional<google::ServiceAccount> read_service_account(CredentialReader& outer,
                                                           const json::Value* fields) {
  if (!fields) return std::nullopt;
  CredentialReader reader("google.service_account", *fields);
  std::string email = reader.text("client_email", kMaxCredentialIdBytes * 2);
  auto key = reader.private_key("private_key");
  std::string token_uri = reader.text("token_uri", kMaxCredentialIdBytes * 2);
  if (!token_uri.empty() && !token_uri.starts_with("https://") && !token_uri.starts_with("http://"))
    reader.problem("token_uri must be an http(s) URL");
  reader.refuse_unknown({"client_email", "private_key", "token_uri"});
  if (auto s = reader.finish(); !s) {
    const std::string& message = s.error().message;  // "channels.google.service_account: ..."
    outer.problem("service_account: " + message.substr(message.find(": ") + 2));
    return std::nullopt;
  }
  google::ServiceAccount account(std::move(*key));
  account.client_email = std::move(email);
  account.token_uri = std::move(token_uri);
  return account;
}

class GoogleAdapter final : public ChannelAdapter {
 public:
  std::string_view name() const override { return "google"; }
  ChannelTraits traits() const override { return {.has_receipts = true}; }

  Result<CredentialsPtr> parse_credentials(const json::Value& fields) const override {
    CredentialReader reader("google", fields);
    std::string package_name = reader.text("package_name");
    auto account = read_service_account(reader, reader.object("service_account"));
    std::string audience = reader.text("pubsub_audience", kMaxCredentialIdBytes * 4);
    google::PushCerts certs;
    read_certs(reader, reader.object("pubsub_certs"), certs);
    std::map<std::string, std::string, std::less<>> products;
    read_products(reader, reader.object("products"), products);
    reader.refuse_unknown({"package_name", "service_account", "pubsub_audience", "pubsub_certs", "products"});
    if (auto s = reader.finish(); !s) return s.error();
    auto credentials = std::make_shared<GoogleCredentials>(std::move(*account));
    credentials->package_name = std::move(package_name);
    credentials->pubsub_audience = std::move(audience);
    credentials->pubsub_certs = std::move(certs);
    credentials->products = std::move(products);
    return CredentialsPtr(std::move(credentials));
  }

  // BillingFlowParams.setObfuscatedAccountId: Google echoes it in the purchase.
  Step<PayParameters> prepare(const ChannelContext&, const PrepareInput& input) const override {
    json::Writer out;
    out.begin_object().key("obfuscated_account_id").string(input.bill.bill_id).end_object();
    return PayParameters{out.take()};
  }

  Step<ProviderResult> verify_callback(const ChannelContext& context,
                                       const CallbackInput& input) const override {
    auto c = credentials_as<GoogleCredentials>(context);
    auto claims = google::verify_push_token(input.header("authorization"), c->pubsub_certs,
                                            c->pubsub_audience, context.now_s);
    if (!claims) return claims.error();
    // A genuine redelivery of a push already answered: its purchase was checked then.
    if (input.answered_before) return ProviderResult{};
    auto notification = read_push(input.body, input.json_limits);
    if (!notification) return notification.error();
    return read_notification(context, c, *notification);
  }

  // Pub/Sub's messageId (its redeliveries repeat it; the push also spells it message_id).
  std::string delivery_id(const CallbackInput& input) const override {
    auto push = json::parse(input.body, input.json_limits);
    const json::Value* message = push ? push_message(*push) : nullptr;
    return message ? text_of(*message, "messageId") : std::string();
  }

  // 2xx acknowledges the push; anything else makes Pub/Sub redeliver it.
  http::Response answer(CallbackOutcome outcome, const Error* refusal) const override {
    if (outcome == CallbackOutcome::refused) {
      assert(refusal != nullptr);
      return http::error_response(*refusal);
    }
    http::Response response;
    response.status = 204;
    response.content_type.clear();
    return response;
  }

  // The receipt is the purchase token; the product is the one the app maps to the bill's item.
  Step<ProviderResult> verify_receipt(const ChannelContext& context, const BillView& bill,
                                      std::string_view receipt) const override {
    auto c = credentials_as<GoogleCredentials>(context);
    if (receipt.empty() || receipt.size() > kMaxPurchaseTokenBytes)
      return invalid("a Google Play receipt is the purchase token (1 to 4096 bytes)");
    for (const auto& [product, item] : c->products) {
      if (item == bill.item_id) return google::check_purchase(context, bill, product, std::string(receipt));
    }
    return invalid("no productId of the app's products maps to item " + clipped(bill.item_id));
  }
};

}  // namespace

namespace google {

Step<ProviderResult> check_purchase(const ChannelContext& context, std::optional<BillView> bill,
                                    const std::string& product_id, const std::string& purchase_token) {
  auto c = credentials_as<GoogleCredentials>(context);
  std::string url = purchase_url(context, *c, product_id, purchase_token);
  return with_token(c, context.now_s, [c, bill, product_id, url](const std::string& token) {
    return Step<ProviderResult>::call(api_request("GET", url, token),
                                      [c, bill, product_id, url, token](const OutboundResponse& r) {
                                        return purchase_answer(r, c, bill, product_id, url, token);
                                      });
  });
}

}  // namespace google

std::unique_ptr<ChannelAdapter> make_google_adapter() { return std::make_unique<GoogleAdapter>(); }

}  // namespace unipay::channels
