// The simulator's Google control endpoints (google_play.hpp): service-account credentials,
// purchases, voiding, and Pub/Sub pushes of real-time developer notifications with an OIDC
// bearer token signed like Google's.
#include <chrono>

#include "bench/provider_sim/google_books.hpp"
#include "bench/provider_sim/google_play.hpp"
#include "bench/provider_sim/google_play_json.hpp"
#include "bench/provider_sim/sim_json.hpp"
#include "bench/provider_sim/sim_state.hpp"
#include "net/base64.hpp"
#include "net/channels/google_auth.hpp"
#include "net/channels/jose.hpp"
#include "net/crypto.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

using Kind = json::Value::Kind;

constexpr std::chrono::milliseconds kPushTimeout{10000};
constexpr std::string_view kPurchasesPrefix = "/sim/google/purchases/";
constexpr std::string_view kPushEmail = "service-123456789@gcp-sa-pubsub.iam.gserviceaccount.com";
constexpr int64_t kPushTokenLifetimeS = 3600;

std::optional<int64_t> integer(const json::Value& object, std::string_view key) {
  const json::Value* value = object.find(key);
  if (!value || value->kind != Kind::integer) return std::nullopt;
  return value->integer;
}

std::string purchase_view(const GooglePurchase& p) {
  json::Writer out;
  out.begin_object().key("token").string(p.token).key("order_id").string(p.order_id);
  out.key("package_name").string(p.package_name).key("product_id").string(p.product_id);
  out.key("obfuscated_account_id").string(p.account_id).key("purchase_state").integer(p.purchase_state);
  out.key("acknowledgement_state").integer(p.acknowledgement_state);
  out.key("acknowledgements")
      .integer(p.acknowledgements)
      .key("lookups")
      .integer(p.lookups)
      .key("voided")
      .boolean(p.voided)
      .end_object();
  return out.take();
}

http::Response credentials(GoogleBooks& books, const http::Request& request, const json::Value& body) {
  const json::Value* products = body.find("products");
  if (!products || products->kind != Kind::object || text(body, "package_name").empty())
    return error(400, "package_name and products (productId → item id) are required");
  auto key = crypto::RsaPrivateKey::generate();
  std::string token_uri = base_url_of(request);
  token_uri += "/token";
  std::string email = "unipay-sim-";
  email.append(crypto::random_hex(4)).append("@sim-project.iam.gserviceaccount.com");
  if (!books.add_account({email, key.public_key(), text(body, "package_name"), token_uri}))
    return error(429, "too many simulated service accounts");
  json::Writer out;
  out.begin_object().key("credentials").begin_object().key("package_name").string(text(body, "package_name"));
  out.key("service_account").begin_object().key("client_email").string(email);
  out.key("private_key").string(key.pem()).key("token_uri").string(token_uri).end_object();
  const std::string audience = text(body, "pubsub_audience");
  out.key("pubsub_audience").string(audience.empty() ? "https://unipay.example/pubsub" : audience);
  out.key("pubsub_certs").begin_object().key(books.cert_kid()).string(books.cert_key().public_key().pem());
  out.end_object().key("products").begin_object();
  for (const auto& [product, item] : products->members) out.key(product).string(item.string);
  out.end_object().end_object().end_object();
  return answer(200, out.take());
}

std::string order_id() {
  std::string id = "GPA.";
  id.append(random_digits(4)).append("-").append(random_digits(4)).append("-");
  id.append(random_digits(4)).append("-").append(random_digits(5));
  return id;
}

http::Response create_purchase(GoogleBooks& books, const json::Value& body, int64_t now_s) {
  GooglePurchase p;
  p.package_name = text(body, "package_name");
  p.product_id = text(body, "product_id");
  p.account_id = text(body, "obfuscated_account_id");
  if (p.package_name.empty() || p.product_id.empty())
    return error(400, "package_name and product_id are required");
  p.token = text(body, "token").empty() ? crypto::random_base64url(48) : text(body, "token");
  p.order_id = text(body, "order_id").empty() ? order_id() : text(body, "order_id");
  p.purchase_state = integer(body, "purchase_state").value_or(0);
  if (p.purchase_state < 0 || p.purchase_state > 2) return error(400, "purchase_state is 0, 1 or 2");
  if (!text(body, "region_code").empty()) p.region_code = text(body, "region_code");
  p.purchase_time_ms = now_s * 1000;
  if (!books.put(p)) return error(429, "too many simulated purchases");
  return answer(200, purchase_view(p));
}

http::Response void_purchase(GoogleBooks& books, const json::Value& body) {
  auto voided = books.modify(text(body, "token"), [](GooglePurchase& p) { p.voided = true; });
  if (!voided) return error(404, "no such purchase token");
  return answer(200, purchase_view(*voided));
}

// Pub/Sub's OIDC token for the push subscription's service account (RS256, kid in the
// header), or one made wrong on purpose (`tamper`).
Result<std::string> push_token(const GoogleBooks& books, const json::Value& body, int64_t now_s) {
  const std::string tamper = text(body, "tamper");
  const bool stranger = tamper == "kid" || tamper == "signature";
  const std::string kid = tamper == "kid" ? crypto::random_hex(20) : books.cert_kid();
  std::string audience = text(body, "audience");
  if (tamper == "audience") audience.append("/another");
  json::Writer claims;
  claims.begin_object().key("aud").string(audience).key("azp").string("113774264463038321964");
  claims.key("email").string(kPushEmail).key("email_verified").boolean(true);
  claims.key("exp").integer(now_s + kPushTokenLifetimeS).key("iat").integer(now_s);
  claims.key("iss").string(channels::google::kPushIssuer).key("sub").string("113774264463038321964");
  claims.end_object();
  return channels::jose::sign_rs256(channels::jose::rs256_header(kid), claims.str(),
                                    stranger ? books.stranger_key() : books.cert_key());
}

std::string push_body(const json::Value& body, const std::string& notification, const std::string& message_id,
                      int64_t now_ms) {
  std::string subscription = text(body, "subscription");
  if (subscription.empty()) subscription = "projects/sim-project/subscriptions/play-rtdn";
  const std::string published = publish_time(now_ms);
  json::Writer out;
  out.begin_object().key("message").begin_object().key("attributes").begin_object().end_object();
  out.key("data").string(base64::encode(notification));
  out.key("messageId").string(message_id).key("message_id").string(message_id);
  out.key("publishTime").string(published).key("publish_time").string(published).end_object();
  out.key("subscription").string(subscription).end_object();
  return out.take();
}

// The purchase the notification speaks of: the simulator's, or one the request describes.
std::optional<GooglePurchase> notified_purchase(const GoogleBooks& books, const json::Value& body,
                                                std::string_view type) {
  auto purchase = books.purchase(text(body, "token"));
  if (!purchase && type != "test") return std::nullopt;
  if (!purchase) purchase = GooglePurchase{};
  if (!text(body, "package_name").empty()) purchase->package_name = text(body, "package_name");
  if (!text(body, "product_id").empty()) purchase->product_id = text(body, "product_id");
  return purchase;
}

void notify(const GoogleBooks& books, DeliveryTransport& transport, const json::Value& body, int64_t now_s,
            const http::Responder& respond) {
  const std::string type = text(body, "type").empty() ? "purchased" : text(body, "type");
  if (type != "purchased" && type != "voided" && type != "test")
    return respond(error(400, "type must be purchased, voided or test"));
  auto purchase = notified_purchase(books, body, type);
  if (!purchase) return respond(error(404, "no such purchase token"));
  auto token = push_token(books, body, now_s);
  if (!token) return respond(error(500, token.error().message));
  const std::string message_id =
      text(body, "message_id").empty() ? random_digits(16) : text(body, "message_id");
  OutboundRequest push;
  push.url = text(body, "url");
  push.body =
      push_body(body, developer_notification_json(type, *purchase, now_s * 1000), message_id, now_s * 1000);
  push.headers.emplace_back("content-type", "application/json");
  std::string bearer = "Bearer ";
  bearer += *token;
  if (text(body, "tamper") != "no_bearer") push.headers.emplace_back("authorization", std::move(bearer));
  push.timeout = kPushTimeout;
  if (push.url.empty()) {
    json::Writer out;
    out.begin_object().key("headers").begin_object();
    for (const auto& [name, value] : push.headers) out.key(name).string(value);
    out.end_object().key("body").string(push.body).key("message_id").string(message_id).end_object();
    return respond(answer(200, out.take()));
  }
  transport.post(std::move(push), [respond, message_id](Result<OutboundResponse> result) {
    if (!result) return respond(error(502, result.error().message));
    json::Writer out;
    out.begin_object().key("status").integer(result->status).key("body").string(result->body);
    out.key("message_id").string(message_id).end_object();
    respond(answer(200, out.take()));
  });
}

}  // namespace

void GooglePlay::control(DeliveryTransport& transport, const http::Request& request, int64_t now_s,
                         const http::Responder& respond) {
  if (request.method == "GET" && request.path.starts_with(kPurchasesPrefix)) {
    auto purchase = books_->purchase(request.path.substr(kPurchasesPrefix.size()));
    return respond(purchase ? answer(200, purchase_view(*purchase)) : error(404, "no such purchase token"));
  }
  if (request.method != "POST") return respond(error(404, "no such control endpoint"));
  auto body = json::parse(request.body);
  if (!body || !body->is_object()) return respond(error(400, "the body must be a JSON object"));
  if (request.path == "/sim/google/credentials") return respond(credentials(*books_, request, *body));
  if (request.path == "/sim/google/purchases") return respond(create_purchase(*books_, *body, now_s));
  if (request.path == "/sim/google/void") return respond(void_purchase(*books_, *body));
  if (request.path == "/sim/google/notify") return notify(*books_, transport, *body, now_s, respond);
  respond(error(404, "no such control endpoint"));
}

}  // namespace unipay::sim
