// Google's two token kinds for the google channel. Outbound: a service account's OAuth 2.0
// access token, obtained with an RS256 JWT assertion posted to its token_uri (RFC 7523) and
// cached until shortly before it expires. Inbound: the OIDC ID token Pub/Sub puts in the
// Authorization header of a push, RS256-signed by Google, checked against the app's copy of
// Google's certificates (pubsub_certs, by kid), audience and issuer.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "config/result.hpp"
#include "net/channels/provider_call.hpp"
#include "net/crypto_rsa.hpp"
#include "net/json.hpp"

namespace unipay::channels::google {

inline constexpr std::string_view kPublisherScope = "https://www.googleapis.com/auth/androidpublisher";
inline constexpr std::string_view kPushIssuer = "https://accounts.google.com";
inline constexpr int64_t kAssertionLifetimeS = 3600;  // Google's maximum
inline constexpr int64_t kTokenRenewBeforeS = 60;     // a cached token is dropped this early
inline constexpr int64_t kClockSkewS = 300;           // allowed on a push token's iat / exp

struct ServiceAccount {
  explicit ServiceAccount(crypto::RsaPrivateKey key) : private_key(std::move(key)) {}
  std::string client_email;
  crypto::RsaPrivateKey private_key;
  std::string token_uri;  // https://oauth2.googleapis.com/token in production
};

// The access token shared by every call of one app's credentials. A cache, not domain state:
// the lock only guards the copy of one string; the worst race asks Google for two tokens.
class AccessTokenCache {
 public:
  std::optional<std::string> get(int64_t now_s) const;
  void put(std::string token, int64_t expires_at_s);
  void drop();

 private:
  mutable std::mutex mutex_;
  std::string token_;
  int64_t expires_at_s_ = 0;
};

// The assertion JWT: iss = client_email, scope, aud = token_uri, iat, exp.
Result<std::string> assertion(const ServiceAccount& account, int64_t now_s);
// POST token_uri (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=...).
OutboundRequest token_request(const ServiceAccount& account, const std::string& assertion_jwt);
// The answer's access_token, cached until expires_in - kTokenRenewBeforeS; server_busy when
// Google did not give one (the outcome of the operation that needed it stays unknown).
Result<std::string> read_token_answer(const OutboundResponse& response, AccessTokenCache& cache,
                                      int64_t now_s);

using PushCerts = std::map<std::string, crypto::RsaPublicKey, std::less<>>;  // kid → key
// The push's claims when `authorization` is "Bearer <JWT>" signed RS256 by the key named by
// its kid, with aud = audience, iss = kPushIssuer, iat/exp around now_s: bad_signature (or
// unauthorized when absent) otherwise.
Result<json::Value> verify_push_token(std::string_view authorization, const PushCerts& certs,
                                      std::string_view audience, int64_t now_s);

}  // namespace unipay::channels::google
