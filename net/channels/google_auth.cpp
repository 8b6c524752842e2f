#include "net/channels/google_auth.hpp"

#include "net/channels/form.hpp"
#include "net/channels/jose.hpp"
#include "net/channels/json_fields.hpp"

namespace unipay::channels::google {
namespace {

Error refused(std::string message) { return make_error(Errc::bad_signature, std::move(message)); }

}  // namespace

std::optional<std::string> AccessTokenCache::get(int64_t now_s) const {
  std::lock_guard lock(mutex_);
  if (token_.empty() || now_s >= expires_at_s_) return std::nullopt;
  return token_;
}

void AccessTokenCache::put(std::string token, int64_t expires_at_s) {
  std::lock_guard lock(mutex_);
  token_ = std::move(token);
  expires_at_s_ = expires_at_s;
}

void AccessTokenCache::drop() {
  std::lock_guard lock(mutex_);
  token_.clear();
  expires_at_s_ = 0;
}

Result<std::string> assertion(const ServiceAccount& account, int64_t now_s) {
  json::Writer claims;
  claims.begin_object().key("iss").string(account.client_email).key("scope").string(kPublisherScope);
  claims.key("aud").string(account.token_uri).key("iat").integer(now_s);
  claims.key("exp").integer(now_s + kAssertionLifetimeS).end_object();
  return jose::sign_rs256(jose::rs256_header(), claims.str(), account.private_key);
}

OutboundRequest token_request(const ServiceAccount& account, const std::string& assertion_jwt) {
  OutboundRequest request;
  request.method = "POST";
  request.url = account.token_uri;
  request.headers = {{"content-type", "application/x-www-form-urlencoded"}, {"accept", "application/json"}};
  request.body = form::encode(
      {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", assertion_jwt}});
  return request;
}

Result<std::string> read_token_answer(const OutboundResponse& response, AccessTokenCache& cache,
                                      int64_t now_s) {
  if (response.status != 200)
    return make_error(Errc::server_busy,
                      "Google's token endpoint answered HTTP " + std::to_string(response.status));
  auto body = json::parse(response.body);
  const std::string token = body ? text_of(*body, "access_token") : std::string();
  const auto expires_in = body ? integer_of(*body, "expires_in") : std::nullopt;
  if (token.empty() || !expires_in || *expires_in <= 0)
    return make_error(Errc::server_busy, "Google's token answer has no access_token and expires_in");
  cache.put(token, now_s + *expires_in - kTokenRenewBeforeS);
  return token;
}

Result<json::Value> verify_push_token(std::string_view authorization, const PushCerts& certs,
                                      std::string_view audience, int64_t now_s) {
  constexpr std::string_view kBearer = "Bearer ";
  if (!authorization.starts_with(kBearer))
    return make_error(Errc::unauthorized, "a Pub/Sub push needs Authorization: Bearer <OIDC token>");
  auto jwt = jose::parse_compact(authorization.substr(kBearer.size()), jose::kMaxJwsBytes, {});
  if (!jwt) return refused("the push token is not a JWT: " + jwt.error().message);
  if (text_of(jwt->header, "alg") != "RS256") return refused("the push token's alg must be RS256");
  auto key = certs.find(text_of(jwt->header, "kid"));
  if (key == certs.end()) return refused("the push token's kid is not in pubsub_certs");
  if (!key->second.verify_sha256(jwt->signing_input, jwt->signature))
    return refused("the push token's signature does not verify");
  const json::Value& claims = jwt->payload;
  if (text_of(claims, "aud") != audience) return refused("the push token's audience is not pubsub_audience");
  if (text_of(claims, "iss") != kPushIssuer) return refused("the push token's issuer is not Google");
  const auto iat = integer_of(claims, "iat");
  const auto exp = integer_of(claims, "exp");
  if (!iat || !exp || *exp + kClockSkewS < now_s || *iat - kClockSkewS > now_s)
    return make_error(Errc::stale_timestamp, "the push token is expired or not yet valid");
  return std::move(jwt->payload);
}

}  // namespace unipay::channels::google
