// JOSE pieces the store channels need (RFC 7515/7518/7519): base64url, compact JWS parsing,
// ES256 (P-256 ECDSA, raw r||s signatures) and RS256 (RSA-SHA256) JWT signing. Apple signs
// transactions and wants API tokens in ES256; Google wants RS256 OAuth assertions and signs
// Pub/Sub push tokens in RS256. OpenSSL stays out of this header.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.hpp"
#include "net/crypto_rsa.hpp"
#include "net/json.hpp"

struct evp_pkey_st;

namespace unipay::channels::jose {

inline constexpr size_t kMaxJwsBytes = 65536;  // a JWS read from a request or answer body

// base64url without padding (RFC 7515 §2). decode is strict: '=' or a character of the
// standard alphabet ('+', '/') is refused, and so are non-zero spare bits.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// A compact JWS split and decoded; nothing verified yet.
struct Jws {
  json::Value header;         // an object
  json::Value payload;        // an object
  std::string signing_input;  // "<header>.<payload>" exactly as received
  std::string signature;      // raw bytes
};
// invalid_parameter unless `text` is three base64url parts (at most max_bytes) whose first
// two are JSON objects.
Result<Jws> parse_compact(std::string_view text, size_t max_bytes, const json::ParseLimits& limits);

// A P-256 public key (an Apple leaf certificate's key). Shared and immutable.
class EcPublicKey {
 public:
  // "-----BEGIN PUBLIC KEY-----" or a certificate; invalid_parameter unless P-256.
  static Result<EcPublicKey> parse(std::string_view pem);
  // Takes a key already decoded (a verified certificate's); invalid_parameter unless P-256.
  static Result<EcPublicKey> adopt(std::shared_ptr<evp_pkey_st> key);
  // True only for a valid ES256 signature: 64 bytes r||s over SHA-256 of `message`.
  bool verify_es256(std::string_view message, std::string_view raw_signature) const;
  std::string pem() const;

 private:
  friend class EcPrivateKey;
  explicit EcPublicKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

// A P-256 private key (App Store Connect API keys: the .p8 file, PKCS#8 PEM).
class EcPrivateKey {
 public:
  static Result<EcPrivateKey> parse(std::string_view pem);
  static EcPrivateKey generate();  // tests and simulators; aborts if OpenSSL cannot
  // ES256: r||s, 32 bytes each; server_busy if OpenSSL fails.
  Result<std::string> sign_es256(std::string_view message) const;
  EcPublicKey public_key() const;
  std::string pem() const;                                   // PKCS#8
  std::shared_ptr<evp_pkey_st> evp() const { return key_; }  // for certificate signing (simulators)

 private:
  explicit EcPrivateKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

// "<b64url(header)>.<b64url(payload)>.<b64url(signature)>" for serialized JSON objects.
Result<std::string> sign_es256(std::string_view header_json, std::string_view payload_json,
                               const EcPrivateKey& key);
Result<std::string> sign_rs256(std::string_view header_json, std::string_view payload_json,
                               const crypto::RsaPrivateKey& key);
// The JOSE header of an RS256 JWT: {"alg":"RS256","kid":kid,"typ":"JWT"}, no kid when empty.
std::string rs256_header(std::string_view kid = {});

}  // namespace unipay::channels::jose
