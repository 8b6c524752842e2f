#include "net/channels/apple_adapter.hpp"

#include "net/channels/app_account_token.hpp"
#include "net/channels/credential_fields.hpp"
#include "net/channels/form.hpp"
#include "net/channels/json_fields.hpp"
#include "net/http_errors.hpp"

namespace unipay::channels {
namespace {

constexpr size_t kMaxProducts = 1024;
constexpr size_t kMaxTransactionIdBytes = 64;
constexpr int64_t kApiTokenLifetimeS = 300;  // Apple accepts at most 60 minutes
constexpr int64_t kMillisPerSecond = 1000;
constexpr std::string_view kLookupPath = "/inApps/v1/transactions/";

using Kind = json::Value::Kind;

Error invalid(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }
Error conflict(std::string message) { return make_error(Errc::conflict, std::move(message)); }
Error unknown_outcome(std::string message) { return make_error(Errc::server_busy, std::move(message)); }

std::string clipped(std::string_view text) { return std::string(text.substr(0, 64)); }

Result<std::vector<std::string>> x5c_of(const json::Value& header) {
  const json::Value* x5c = header.find("x5c");
  if (!x5c || x5c->kind != Kind::array)
    return make_error(Errc::bad_signature, "the JWS header has no x5c chain");
  std::vector<std::string> certs;
  for (const auto& item : x5c->items) {
    if (item.kind != Kind::string) return make_error(Errc::bad_signature, "x5c holds a non-string");
    certs.push_back(item.string);
  }
  return certs;
}

Status check_app(std::string_view bundle_id, std::string_view environment,
                 const AppleCredentials& credentials) {
  if (bundle_id != credentials.bundle_id)
    return conflict("bundleId " + clipped(bundle_id) + " is not this app's");
  if (environment != credentials.environment)
    return conflict("environment " + clipped(environment) + " is not this app's " + credentials.environment);
  return ok_status();
}

// A verified transaction payload → what it states. The bill comes from appAccountToken ("" when
// the purchase was not made through unipay); the product must be one the app maps.
Result<ProviderResult> read_transaction(const json::Value& tx, const AppleCredentials& credentials) {
  ProviderResult result;
  result.trade_no = text_of(tx, "transactionId");
  if (result.trade_no.empty() || result.trade_no.size() > kMaxTransactionIdBytes)
    return invalid("the transaction has no transactionId");
  const std::string product = text_of(tx, "productId");
  if (!credentials.products.contains(product))
    return conflict("productId " + clipped(product) + " is not in the app's products");
  result.item_id = credentials.products.find(product)->second;
  const std::string token = text_of(tx, "appAccountToken");
  if (!token.empty()) {
    auto bill_id = bill_id_from_app_account_token(token);
    if (!bill_id) return invalid("appAccountToken " + clipped(token) + " names no unipay bill");
    result.bill_id = std::move(*bill_id);
  }
  // Revoked (refunded, or family sharing withdrawn) transactions carry revocationDate.
  result.status = tx.find("revocationDate") ? ProviderStatus::refunded : ProviderStatus::paid;
  if (result.status == ProviderStatus::refunded) result.refund_id = result.trade_no;
  result.provider_app_id = credentials.bundle_id;
  return result;
}

// The transaction as a statement about `bill`: its token names the bill and its product is
// the bill's item. The store prices per storefront, so the verified tie stands for the amount.
Result<ProviderResult> read_for_bill(const json::Value& tx, const AppleCredentials& credentials,
                                     const BillView& bill) {
  auto result = read_transaction(tx, credentials);
  if (!result) return result.error();
  if (result->bill_id != bill.bill_id)
    return conflict("the transaction's appAccountToken is not this bill's (" + clipped(result->bill_id) +
                    ")");
  const auto product = credentials.products.find(text_of(tx, "productId"));
  if (product->second != bill.item_id)
    return conflict("productId " + clipped(product->first) + " is item " + clipped(product->second) +
                    ", not the bill's " + clipped(bill.item_id));
  result->amount_minor = bill.amount_minor;
  result->currency = bill.currency;
  return result;
}

Result<ProviderResult> read_notification(const json::Value& payload, const AppleCredentials& credentials,
                                         int64_t now_s, const json::ParseLimits& limits) {
  const std::string type = text_of(payload, "notificationType");
  const json::Value* data = payload.find("data");
  const bool moves_money = type == "REFUND" || type == "REVOKE" || type == "ONE_TIME_CHARGE";
  if (!moves_money || !data) return ProviderResult{};  // TEST, subscriptions, consumption requests
  auto tx = apple::verify_transaction(text_of(*data, "signedTransactionInfo"), credentials, now_s, limits);
  if (!tx) return tx.error();
  auto result = read_transaction(*tx, credentials);
  if (!result) return result.error();
  if (result->bill_id.empty()) return ProviderResult{};  // bought outside unipay
  if (type != "ONE_TIME_CHARGE") result->status = ProviderStatus::refunded;
  return result;
}

Step<ProviderResult> lookup_answer(const OutboundResponse& response, const AppleCredentials& credentials,
                                   const BillView& bill, int64_t now_s) {
  if (response.status == 404) return invalid("the App Store knows no such transaction");
  if (response.status != 200)
    return unknown_outcome("the App Store Server API answered HTTP " + std::to_string(response.status));
  auto body = json::parse(response.body);
  if (!body || !body->is_object()) return unknown_outcome("the App Store answer is not a JSON object");
  auto tx = apple::verify_transaction(text_of(*body, "signedTransactionInfo"), credentials, now_s);
  if (!tx) return unknown_outcome("the App Store answer does not verify: " + tx.error().message);
  return read_for_bill(*tx, credentials, bill);
}

bool all_digits(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::vector<std::string> root_texts(CredentialReader& reader, const json::Value& fields) {
  const json::Value* roots = fields.is_object() ? fields.find("root_certificates") : nullptr;
  std::vector<std::string> texts;
  if (!roots || roots->kind != Kind::array) {
    reader.problem("root_certificates must be an array of PEM certificates");
    return texts;
  }
  for (const auto& item : roots->items) {
    if (item.kind != Kind::string) reader.problem("root_certificates holds a non-string");
    texts.push_back(item.string);
  }
  return texts;
}

using Products = std::map<std::string, std::string, std::less<>>;

void read_products(CredentialReader& reader, const json::Value* products, Products& out) {
  if (!products) return;
  if (products->members.empty() || products->members.size() > kMaxProducts)
    reader.problem("products must map 1 to " + std::to_string(kMaxProducts) + " productIds to item ids");
  for (const auto& [product, item] : products->members) {
    if (product.empty() || product.size() > kMaxCredentialIdBytes || item.kind != Kind::string ||
        item.string.empty() || item.string.size() > kMaxCredentialIdBytes) {
      reader.problem("products." + clipped(product) + " must be an item id of 1 to 128 bytes");
    } else {
      out.emplace(product, item.string);
    }
  }
}

std::optional<jose::EcPrivateKey> read_private_key(CredentialReader& reader) {
  const std::string pem = reader.text("private_key", kMaxCredentialKeyBytes);
  if (pem.empty()) return std::nullopt;
  auto key = jose::EcPrivateKey::parse(pem);
  if (!key) reader.problem("private_key: " + key.error().message);
  return key ? std::optional(std::move(*key)) : std::nullopt;
}

class AppleAdapter final : public ChannelAdapter {
 public:
  std::string_view name() const override { return "apple"; }
  ChannelTraits traits() const override { return {.has_receipts = true}; }

  Result<CredentialsPtr> parse_credentials(const json::Value& fields) const override {
    CredentialReader reader("apple", fields);
    std::string bundle_id = reader.text("bundle_id");
    std::string environment = reader.text("environment");
    if (!environment.empty() && environment != "Production" && environment != "Sandbox")
      reader.problem("environment must be Production or Sandbox");
    std::optional<apple::TrustedRoots> roots;
    if (auto texts = root_texts(reader, fields); !texts.empty()) {
      auto parsed = apple::TrustedRoots::parse(texts);
      if (parsed)
        roots = std::move(*parsed);
      else
        reader.problem(parsed.error().message);
    }
    std::string issuer_id = reader.text("issuer_id");
    std::string key_id = reader.text("key_id");
    auto private_key = read_private_key(reader);
    Products products;
    read_products(reader, reader.object("products"), products);
    reader.refuse_unknown(
        {"bundle_id", "environment", "root_certificates", "issuer_id", "key_id", "private_key", "products"});
    if (auto s = reader.finish(); !s) return s.error();
    auto credentials = std::make_shared<AppleCredentials>(std::move(*roots), std::move(*private_key));
    credentials->bundle_id = std::move(bundle_id);
    credentials->environment = std::move(environment);
    credentials->issuer_id = std::move(issuer_id);
    credentials->key_id = std::move(key_id);
    credentials->products = std::move(products);
    return CredentialsPtr(std::move(credentials));
  }

  // StoreKit's purchase option: the token Apple signs into the transaction.
  Step<PayParameters> prepare(const ChannelContext&, const PrepareInput& input) const override {
    auto token = app_account_token(input.bill.bill_id);
    if (!token) return invalid("apple needs a unipay bill id to make its appAccountToken");
    json::Writer out;
    out.begin_object().key("app_account_token").string(*token).end_object();
    return PayParameters{out.take()};
  }

  Step<ProviderResult> verify_callback(const ChannelContext& context,
                                       const CallbackInput& input) const override {
    auto credentials = credentials_as<AppleCredentials>(context);
    auto body = json::parse(input.body, input.json_limits);
    if (!body) return body.error();
    const std::string signed_payload = text_of(*body, "signedPayload");
    if (signed_payload.empty()) return invalid("the notification has no signedPayload");
    auto payload = apple::verify_notification(signed_payload, *credentials, context.now_s, input.json_limits);
    if (!payload) return payload.error();
    return read_notification(*payload, *credentials, context.now_s, input.json_limits);
  }

  // 200 tells Apple to stop; anything else makes it retry (up to five times over three days).
  http::Response answer(CallbackOutcome outcome, const Error* refusal) const override {
    if (outcome == CallbackOutcome::refused) {
      assert(refusal != nullptr);
      return http::error_response(*refusal);
    }
    http::Response response;
    response.content_type.clear();
    return response;
  }

  Step<ProviderResult> verify_receipt(const ChannelContext& context, const BillView& bill,
                                      std::string_view receipt) const override {
    if (all_digits(receipt) && receipt.size() <= kMaxTransactionIdBytes)
      return apple::lookup_transaction(context, bill, receipt);
    auto credentials = credentials_as<AppleCredentials>(context);
    auto tx = apple::verify_transaction(receipt, *credentials, context.now_s);
    if (!tx) return tx.error();
    return read_for_bill(*tx, *credentials, bill);
  }
};

}  // namespace

namespace apple {

Result<json::Value> verify_signed_data(std::string_view jws, const TrustedRoots& roots, int64_t now_s,
                                       const json::ParseLimits& limits) {
  auto parsed = jose::parse_compact(jws, jose::kMaxJwsBytes, limits);
  if (!parsed) return parsed.error();
  if (text_of(parsed->header, "alg") != "ES256")
    return make_error(Errc::bad_signature, "the JWS alg must be ES256");
  auto x5c = x5c_of(parsed->header);
  if (!x5c) return x5c.error();
  const auto signed_ms = integer_of(parsed->payload, "signedDate");
  const int64_t at_s = signed_ms && *signed_ms > 0 ? *signed_ms / kMillisPerSecond : now_s;
  auto leaf = roots.verify_chain(*x5c, at_s);
  if (!leaf) return leaf.error();
  if (!leaf->verify_es256(parsed->signing_input, parsed->signature))
    return make_error(Errc::bad_signature, "the JWS signature does not verify with the x5c leaf");
  return std::move(parsed->payload);
}

Result<json::Value> verify_transaction(std::string_view jws, const AppleCredentials& credentials,
                                       int64_t now_s, const json::ParseLimits& limits) {
  auto payload = verify_signed_data(jws, credentials.root_certificates, now_s, limits);
  if (!payload) return payload.error();
  if (auto s = check_app(text_of(*payload, "bundleId"), text_of(*payload, "environment"), credentials); !s)
    return s.error();
  return payload;
}

Result<json::Value> verify_notification(std::string_view signed_payload, const AppleCredentials& credentials,
                                        int64_t now_s, const json::ParseLimits& limits) {
  auto payload = verify_signed_data(signed_payload, credentials.root_certificates, now_s, limits);
  if (!payload) return payload.error();
  // data for transaction notifications, summary for RENEWAL_EXTENSION summaries.
  const json::Value* data = payload->find("data");
  if (!data) data = payload->find("summary");
  const json::Value empty;
  const json::Value& app = data ? *data : empty;
  if (auto s = check_app(text_of(app, "bundleId"), text_of(app, "environment"), credentials); !s)
    return s.error();
  return payload;
}

Result<std::string> api_token(const AppleCredentials& credentials, int64_t now_s) {
  json::Writer header;
  header.begin_object().key("alg").string("ES256").key("kid").string(credentials.key_id);
  header.key("typ").string("JWT").end_object();
  json::Writer claims;
  claims.begin_object().key("iss").string(credentials.issuer_id).key("iat").integer(now_s);
  claims.key("exp").integer(now_s + kApiTokenLifetimeS).key("aud").string("appstoreconnect-v1");
  claims.key("bid").string(credentials.bundle_id).end_object();
  return jose::sign_es256(header.str(), claims.str(), credentials.private_key);
}

Step<ProviderResult> lookup_transaction(const ChannelContext& context, const BillView& bill,
                                        std::string_view transaction_id) {
  auto credentials = credentials_as<AppleCredentials>(context);
  auto token = api_token(*credentials, context.now_s);
  if (!token) return token.error();
  const std::string& base = credentials->environment == "Production" ? context.providers.apple_production
                                                                     : context.providers.apple_sandbox;
  OutboundRequest request;
  request.method = "GET";
  request.url = base + std::string(kLookupPath) + form::encode_component(transaction_id);
  std::string authorization = "Bearer ";
  authorization += *token;
  request.headers = {{"authorization", std::move(authorization)}, {"accept", "application/json"}};
  return Step<ProviderResult>::call(std::move(request),
                                    [credentials, bill, now_s = context.now_s](const OutboundResponse& r) {
                                      return lookup_answer(r, *credentials, bill, now_s);
                                    });
}

}  // namespace apple

std::unique_ptr<ChannelAdapter> make_apple_adapter() { return std::make_unique<AppleAdapter>(); }

}  // namespace unipay::channels
