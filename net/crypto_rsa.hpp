// RSA keys for the payment channels (Alipay RSA2, WeChat Pay SHA256-RSA2048): parsing PEM
// (PKCS#8 / PKCS#1 private keys, SubjectPublicKeyInfo public keys, X.509 certificates) and
// bare base64 DER (as Alipay's console shows keys), RSA-SHA256 PKCS#1 v1.5 sign and verify,
// and run-time key generation for tests and the provider simulators. OpenSSL 3 EVP only.
//
// A parsed key is immutable and shared: concurrent verifications on one key are safe
// (each makes its own EVP_MD_CTX).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/result.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace unipay::crypto {

class RsaPublicKey {
 public:
  // "-----BEGIN PUBLIC KEY-----", "-----BEGIN CERTIFICATE-----" (its subject key), or bare
  // base64 of the DER SubjectPublicKeyInfo. invalid_parameter when none parses or not RSA.
  static Result<RsaPublicKey> parse(std::string_view text);

  // True only when `signature` (raw bytes) is a valid RSA-SHA256 PKCS#1 v1.5 signature.
  bool verify_sha256(std::string_view message, std::string_view signature) const;
  std::string pem() const;  // "-----BEGIN PUBLIC KEY-----" ...

 private:
  friend class RsaPrivateKey;
  explicit RsaPublicKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

class RsaPrivateKey {
 public:
  // PEM ("PRIVATE KEY" or "RSA PRIVATE KEY") or bare base64 of the DER (PKCS#8 or PKCS#1).
  static Result<RsaPrivateKey> parse(std::string_view text);
  // A fresh key (tests, simulators). Aborts if OpenSSL cannot make one (no safe way on).
  static RsaPrivateKey generate(int bits = 2048);

  // The raw RSA-SHA256 PKCS#1 v1.5 signature; server_busy if OpenSSL fails (out of memory).
  Result<std::string> sign_sha256(std::string_view message) const;
  RsaPublicKey public_key() const;
  std::string pem() const;  // PKCS#8 "-----BEGIN PRIVATE KEY-----"

 private:
  explicit RsaPrivateKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

}  // namespace unipay::crypto
