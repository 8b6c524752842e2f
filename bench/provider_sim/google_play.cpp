// Google's OAuth token endpoint and the Play Developer API's purchases.products (get and
// acknowledge), checked and answered as Google does (google_play.hpp).
#include "bench/provider_sim/google_play.hpp"

#include <vector>

#include "bench/provider_sim/google_books.hpp"
#include "bench/provider_sim/google_play_json.hpp"
#include "bench/provider_sim/sim_json.hpp"
#include "net/channels/form.hpp"
#include "net/channels/google_auth.hpp"
#include "net/channels/jose.hpp"
#include "net/json.hpp"

namespace unipay::sim {
namespace {

namespace form = channels::form;
namespace jose = channels::jose;

constexpr std::string_view kJwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr std::string_view kApplications = "/androidpublisher/v3/applications/";
constexpr std::string_view kAcknowledge = ":acknowledge";
constexpr int64_t kMaxAssertionLifetimeS = 3600;  // Google refuses longer-lived assertions
constexpr int64_t kClockSkewS = 300;
constexpr size_t kMaxFormFields = 8;

// Google's OAuth error answer (RFC 6749 §5.2).
http::Response oauth_error(std::string_view code, std::string_view description) {
  json::Writer out;
  out.begin_object().key("error").string(code).key("error_description").string(description).end_object();
  return answer(400, out.take());
}

bool has_scope(std::string_view scopes, std::string_view wanted) {
  while (!scopes.empty()) {
    const size_t space = scopes.find(' ');
    if (scopes.substr(0, space) == wanted) return true;
    if (space == std::string_view::npos) break;
    scopes.remove_prefix(space + 1);
  }
  return false;
}

// The assertion's claims checked as Google checks them; the refusal answer, or nullopt.
std::optional<http::Response> refuse_claims(const json::Value& claims, const GoogleServiceAccount& account,
                                            int64_t now_s) {
  if (text(claims, "aud") != account.token_uri)
    return oauth_error("invalid_grant", "Invalid JWT: audience is not the token endpoint.");
  if (!has_scope(text(claims, "scope"), channels::google::kPublisherScope))
    return oauth_error("invalid_scope", "Scope androidpublisher is required for the Play Developer API.");
  const json::Value* iat = claims.find("iat");
  const json::Value* exp = claims.find("exp");
  const bool timed =
      iat && exp && iat->kind == json::Value::Kind::integer && exp->kind == json::Value::Kind::integer;
  if (!timed || exp->integer - iat->integer > kMaxAssertionLifetimeS || exp->integer <= now_s ||
      iat->integer > now_s + kClockSkewS)
    return oauth_error("invalid_grant",
                       "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable "
                       "timeframe. Check your iat and exp values in the JWT claim.");
  return std::nullopt;
}

http::Response token_endpoint(GoogleBooks& books, const http::Request& request, int64_t now_s) {
  auto fields = form::parse(request.body, kMaxFormFields);
  if (!fields) return oauth_error("invalid_request", "The body is not form-encoded.");
  const std::string* grant = form::find(*fields, "grant_type");
  if (!grant || *grant != kJwtBearer)
    return oauth_error("unsupported_grant_type", "Invalid grant_type: " + (grant ? *grant : std::string()));
  const std::string* assertion = form::find(*fields, "assertion");
  auto jwt = jose::parse_compact(assertion ? *assertion : std::string(), jose::kMaxJwsBytes, {});
  if (!jwt) return oauth_error("invalid_grant", "Invalid JWT: " + jwt.error().message);
  if (text(jwt->header, "alg") != "RS256")
    return oauth_error("invalid_grant", "Invalid JWT: alg must be RS256.");
  auto account = books.account(text(jwt->payload, "iss"));
  if (!account) return oauth_error("invalid_grant", "Invalid grant: account not found");
  if (!account->public_key.verify_sha256(jwt->signing_input, jwt->signature))
    return oauth_error("invalid_grant", "Invalid JWT Signature.");
  if (auto refusal = refuse_claims(jwt->payload, *account, now_s)) return *refusal;
  auto token = books.issue_token(account->client_email, now_s);
  if (!token) return error(429, "too many simulated access tokens");
  json::Writer out;
  out.begin_object().key("access_token").string(*token);
  out.key("expires_in").integer(GoogleBooks::kAccessTokenLifetimeS).key("token_type").string("Bearer");
  out.end_object();
  return answer(200, out.take());
}

// {pkg}/purchases/products/{productId}/tokens/{token}[:acknowledge], decoded.
struct PurchasePath {
  std::string package_name, product_id, token;
  bool acknowledge = false;
};

// A path segment percent-decoded by the form parser (the same %XX escapes; '+' is not a space
// in a path, so a segment holding one is refused rather than read two ways).
std::optional<std::string> decoded(std::string_view segment) {
  std::string field = "s=";
  field.append(segment);
  auto parsed = form::parse(field, 1);
  if (!parsed || parsed->empty() || segment.find('+') != std::string_view::npos) return std::nullopt;
  return parsed->front().second;
}

std::optional<PurchasePath> purchase_path(std::string_view path) {
  path.remove_prefix(kApplications.size());
  std::vector<std::string_view> parts;
  for (size_t slash; (slash = path.find('/')) != std::string_view::npos; path.remove_prefix(slash + 1))
    parts.push_back(path.substr(0, slash));
  parts.push_back(path);
  if (parts.size() != 6 || parts[1] != "purchases" || parts[2] != "products" || parts[4] != "tokens")
    return std::nullopt;
  PurchasePath out;
  std::string_view token = parts[5];
  if (token.ends_with(kAcknowledge)) {
    out.acknowledge = true;
    token.remove_suffix(kAcknowledge.size());
  }
  auto package = decoded(parts[0]), product = decoded(parts[3]), purchase = decoded(token);
  if (!package || !product || !purchase || package->empty() || product->empty() || purchase->empty())
    return std::nullopt;
  out.package_name = std::move(*package);
  out.product_id = std::move(*product);
  out.token = std::move(*purchase);
  return out;
}

http::Response acknowledge(GoogleBooks& books, const GooglePurchase& purchase) {
  if (purchase.purchase_state != 0)
    return google_error(400, "The purchase is not in a valid state to perform the desired operation.",
                        "invalidPurchaseState");
  books.modify(purchase.token, [](GooglePurchase& p) {
    p.acknowledgement_state = 1;
    ++p.acknowledgements;
  });
  return answer(200, "");  // Google: an empty body
}

http::Response play_api(GoogleBooks& books, const http::Request& request, int64_t now_s) {
  const std::string_view authorization = request.header("authorization");
  std::optional<GoogleServiceAccount> account;
  if (authorization.starts_with("Bearer ")) account = books.token_account(authorization.substr(7), now_s);
  if (!account) return google_unauthenticated();
  auto path = purchase_path(request.path);
  if (!path) return google_error(404, "The requested URL was not found on this server.", "notFound");
  if (path->acknowledge != (request.method == "POST"))
    return google_error(405, "Method not allowed for this resource.", "methodNotAllowed");
  if (path->package_name != account->package_name)
    return google_error(403,
                        "The current user has insufficient permissions to perform the requested operation.",
                        "permissionDenied");
  auto purchase = books.purchase(path->token);
  if (!purchase || purchase->package_name != path->package_name || purchase->product_id != path->product_id)
    return google_error(404, "The purchase token was not found.", "purchaseTokenNotFound");
  if (path->acknowledge) return acknowledge(books, *purchase);
  auto looked_up = books.modify(purchase->token, [](GooglePurchase& p) { ++p.lookups; });
  return answer(200, product_purchase_json(looked_up ? *looked_up : *purchase));
}

}  // namespace

GooglePlay::GooglePlay() : books_(std::make_unique<GoogleBooks>()) {}
GooglePlay::~GooglePlay() = default;

bool GooglePlay::serves(std::string_view path) { return path == "/token" || path.starts_with(kApplications); }

http::Response GooglePlay::api(const http::Request& request, int64_t now_s) {
  if (request.path == "/token") {
    if (request.method != "POST") return google_error(405, "Use POST.", "methodNotAllowed");
    return token_endpoint(*books_, request, now_s);
  }
  return play_api(*books_, request, now_s);
}

std::string base_url_of(const http::Request& request) {
  std::string url = "http://";
  url.append(request.header("host"));
  return url;
}

}  // namespace unipay::sim
