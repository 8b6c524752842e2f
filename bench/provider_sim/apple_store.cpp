#include "bench/provider_sim/apple_store.hpp"

#include <chrono>

#include "bench/provider_sim/sim_json.hpp"
#include "net/channels/apple_provider.hpp"
#include "net/crypto.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

using Kind = json::Value::Kind;
namespace apple = channels::apple;

constexpr int64_t kPkiValidityS = 10LL * 365 * 24 * 3600;
constexpr int64_t kMaxTokenLifetimeS = 3600;  // Apple refuses API tokens valid for longer
constexpr int64_t kClockSkewS = 60;
constexpr std::string_view kLookupPrefix = "/inApps/v1/transactions/";

// Made once per process (function statics: initialised once, read-only after): the store's
// PKI, and another that no app trusts (a chain from another root).
const apple::TestPki& store_pki(bool other_root) {
  static const int64_t made_at_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  static const apple::TestPki store = apple::make_test_pki(made_at_s - 3600, made_at_s + kPkiValidityS);
  static const apple::TestPki other = apple::make_test_pki(made_at_s - 3600, made_at_s + kPkiValidityS);
  return other_root ? other : store;
}

bool flag(const json::Value& object, std::string_view key) {
  const json::Value* value = object.find(key);
  return value && value->kind == Kind::boolean && value->boolean;
}

std::string transaction_payload(const json::Value& body, int64_t now_s) {
  json::Writer out;
  out.begin_object().key("transactionId").string(text(body, "transaction_id"));
  out.key("originalTransactionId").string(text(body, "transaction_id"));
  out.key("productId").string(text(body, "product_id")).key("bundleId").string(text(body, "bundle_id"));
  out.key("environment").string(text(body, "environment"));
  if (auto token = text(body, "app_account_token"); !token.empty()) out.key("appAccountToken").string(token);
  out.key("purchaseDate").integer(now_s * 1000).key("signedDate").integer(now_s * 1000);
  out.key("type").string("Consumable").key("quantity").integer(1);
  if (flag(body, "revoked"))
    out.key("revocationDate").integer(now_s * 1000).key("revocationReason").integer(0);
  out.end_object();
  return out.take();
}

Result<std::string> signed_transaction(const json::Value& body, int64_t now_s) {
  return apple::sign_signed_data(transaction_payload(body, now_s), store_pki(flag(body, "other_root")));
}

http::Response transaction_answer(const json::Value& body, int64_t now_s) {
  auto jws = signed_transaction(body, now_s);
  if (!jws) return error(500, jws.error().message);
  json::Writer out;
  out.begin_object().key("jws").string(*jws).end_object();
  return answer(200, out.take());
}

http::Response notification(const json::Value& body, int64_t now_s) {
  auto tx = signed_transaction(body, now_s);
  if (!tx) return error(500, tx.error().message);
  json::Writer payload;
  payload.begin_object().key("notificationType").string(text(body, "type"));
  std::string uuid = "sim-";  // appends: g++ 12 warns falsely (-Wrestrict) on "lit" + std::string
  uuid.append(std::to_string(now_s)).append("-").append(text(body, "transaction_id"));
  payload.key("notificationUUID").string(uuid);
  payload.key("data").begin_object().key("bundleId").string(text(body, "bundle_id"));
  payload.key("environment").string(text(body, "environment")).key("signedTransactionInfo").string(*tx);
  payload.end_object().key("version").string("2.0").key("signedDate").integer(now_s * 1000).end_object();
  auto signed_payload = apple::sign_signed_data(payload.str(), store_pki(flag(body, "other_root")));
  if (!signed_payload) return error(500, signed_payload.error().message);
  json::Writer inner;
  inner.begin_object().key("signedPayload").string(*signed_payload).end_object();
  json::Writer out;
  out.begin_object().key("body").string(inner.str()).end_object();
  return answer(200, out.take());
}

std::optional<int64_t> claim_integer(const json::Value& claims, std::string_view key) {
  const json::Value* value = claims.find(key);
  if (!value || value->kind != Kind::integer) return std::nullopt;
  return value->integer;
}

// Apple answers a refused API token 401 with no body.
http::Response unauthorized() { return answer(401, ""); }

}  // namespace

http::Response AppleStore::credentials(const json::Value& body) {
  const json::Value* products = body.find("products");
  if (!products || products->kind != Kind::object)
    return error(400, "products must map productIds to item ids");
  const auto key = channels::jose::EcPrivateKey::generate();
  std::string key_id = "SIM";  // appends: g++ 12 warns falsely (-Wrestrict) on "lit" + std::string
  key_id.append(crypto::random_hex(4));
  std::string issuer_id = "sim-issuer-";
  issuer_id.append(crypto::random_hex(8));
  {
    std::lock_guard lock(mutex_);
    if (keys_.size() >= kMaxAccounts) return error(429, "too many simulated App Store Connect keys");
    keys_.insert_or_assign(key_id, ApiKey{issuer_id, text(body, "bundle_id"), key.public_key()});
  }
  json::Writer out;
  out.begin_object().key("credentials").begin_object();
  out.key("bundle_id").string(text(body, "bundle_id")).key("environment").string(text(body, "environment"));
  out.key("root_certificates").begin_array().string(store_pki(false).root_pem).end_array();
  out.key("issuer_id").string(issuer_id).key("key_id").string(key_id);
  out.key("private_key").string(key.pem());
  out.key("products").begin_object();
  for (const auto& [product, item] : products->members) out.key(product).string(item.string);
  out.end_object().end_object().end_object();
  return answer(200, out.take());
}

// Signs the transaction and records it for the App Store Server API's lookup.
http::Response AppleStore::transaction(const json::Value& body, int64_t now_s) {
  const std::string id = text(body, "transaction_id");
  if (!id.empty()) {
    std::lock_guard lock(mutex_);
    if (transactions_.size() >= kMaxTransactions && !transactions_.contains(id))
      return error(429, "too many simulated transactions");
    transactions_.insert_or_assign(id, json::serialize(body));
  }
  return transaction_answer(body, now_s);
}

// The bundle id the request's API token speaks for, once checked as Apple checks it
// ("Generating JSON Web Tokens for API requests"): ES256 under a key Apple issued (kid), its
// issuer, audience appstoreconnect-v1, the key's bundle, current and at most an hour long.
Result<std::string> AppleStore::bearer_bundle(const http::Request& request, int64_t now_s) const {
  const auto refuse = [](std::string message) { return make_error(Errc::bad_signature, std::move(message)); };
  const std::string_view authorization = request.header("authorization");
  if (!authorization.starts_with("Bearer ")) return refuse("no bearer token");
  auto jwt = channels::jose::parse_compact(authorization.substr(7), channels::jose::kMaxJwsBytes, {});
  if (!jwt) return refuse("the bearer token is not a compact JWS");
  if (text(jwt->header, "alg") != "ES256" || text(jwt->header, "typ") != "JWT")
    return refuse("not an ES256 JWT");
  std::optional<ApiKey> key;
  {
    std::lock_guard lock(mutex_);
    if (auto it = keys_.find(text(jwt->header, "kid")); it != keys_.end()) key = it->second;
  }
  if (!key || !key->key.verify_es256(jwt->signing_input, jwt->signature))
    return refuse("unknown kid or bad signature");
  const json::Value& claims = jwt->payload;
  if (text(claims, "iss") != key->issuer_id || text(claims, "aud") != "appstoreconnect-v1" ||
      text(claims, "bid") != key->bundle_id)
    return refuse("iss, aud or bid is not the key's");
  const auto iat = claim_integer(claims, "iat");
  const auto exp = claim_integer(claims, "exp");
  if (!iat || !exp || *iat > now_s + kClockSkewS || *exp <= now_s || *exp - *iat > kMaxTokenLifetimeS)
    return refuse("iat/exp not current or longer than an hour");
  return key->bundle_id;
}

http::Response AppleStore::api(const http::Request& request, int64_t now_s) {
  if (request.method != "GET" || !request.path.starts_with(kLookupPrefix))
    return answer(404, R"({"errorCode":4040000,"errorMessage":"Not found."})");
  auto bundle = bearer_bundle(request, now_s);
  if (!bundle) return unauthorized();
  const std::string id = request.path.substr(kLookupPrefix.size());
  std::string recorded;
  {
    std::lock_guard lock(mutex_);
    if (auto it = transactions_.find(id); it != transactions_.end()) recorded = it->second;
  }
  auto body = json::parse(recorded);
  if (recorded.empty() || !body || text(*body, "bundle_id") != *bundle)
    return answer(404, R"({"errorCode":4040010,"errorMessage":"Transaction id not found."})");
  auto jws = signed_transaction(*body, now_s);
  if (!jws) return answer(500, R"({"errorCode":5000000,"errorMessage":"An unknown error occurred."})");
  json::Writer out;
  out.begin_object().key("signedTransactionInfo").string(*jws).end_object();
  return answer(200, out.take());
}

http::Response AppleStore::control(const http::Request& request, int64_t now_s) {
  if (request.method != "POST") return error(404, "no such control endpoint");
  auto body = json::parse(request.body);
  if (!body || !body->is_object()) return error(400, "the body must be a JSON object");
  if (request.path == "/sim/apple/credentials") return credentials(*body);
  if (request.path == "/sim/apple/transaction") return transaction(*body, now_s);
  if (request.path == "/sim/apple/notification") return notification(*body, now_s);
  return error(404, "no such control endpoint");
}

}  // namespace unipay::sim
