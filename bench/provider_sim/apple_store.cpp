#include "bench/provider_sim/apple_store.hpp"

#include <chrono>

#include "bench/provider_sim/sim_json.hpp"
#include "net/channels/apple_provider.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

using Kind = json::Value::Kind;
namespace apple = channels::apple;

constexpr int64_t kPkiValidityS = 10LL * 365 * 24 * 3600;

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

http::Response credentials(const json::Value& body) {
  const json::Value* products = body.find("products");
  if (!products || products->kind != Kind::object)
    return error(400, "products must map productIds to item ids");
  json::Writer out;
  out.begin_object().key("credentials").begin_object();
  out.key("bundle_id").string(text(body, "bundle_id")).key("environment").string(text(body, "environment"));
  out.key("root_certificates").begin_array().string(store_pki(false).root_pem).end_array();
  out.key("issuer_id").string("sim-issuer").key("key_id").string("SIMKEY0001");
  out.key("private_key").string(channels::jose::EcPrivateKey::generate().pem());
  out.key("products").begin_object();
  for (const auto& [product, item] : products->members) out.key(product).string(item.string);
  out.end_object().end_object().end_object();
  return answer(200, out.take());
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

http::Response transaction(const json::Value& body, int64_t now_s) {
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

}  // namespace

http::Response apple_control(const http::Request& request, int64_t now_s) {
  if (request.method != "POST") return error(404, "no such control endpoint");
  auto body = json::parse(request.body);
  if (!body || !body->is_object()) return error(400, "the body must be a JSON object");
  if (request.path == "/sim/apple/credentials") return credentials(*body);
  if (request.path == "/sim/apple/transaction") return transaction(*body, now_s);
  if (request.path == "/sim/apple/notification") return notification(*body, now_s);
  return error(404, "no such control endpoint");
}

}  // namespace unipay::sim
