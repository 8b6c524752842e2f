#include "net/channels/jose.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <cstring>

#include "net/base64.hpp"
#include "net/openssl_keys.hpp"

namespace unipay::channels::jose {
namespace {

constexpr size_t kCoordinateBytes = 32;  // P-256: r and s are 32 bytes each in a JWS

using crypto::keys::BioPtr;
using crypto::keys::KeyPtr;
using crypto::keys::memory_bio;
using crypto::keys::own;

struct Free {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
  void operator()(X509* p) const { X509_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

Error invalid(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }

bool is_p256(const KeyPtr& key) {
  if (!key || EVP_PKEY_is_a(key.get(), "EC") != 1) return false;
  char group[32] = {};
  size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) !=
      1)
    return false;
  return std::string_view(group, length) == "prime256v1";
}

// JWS r||s → the DER ECDSA-Sig-Value OpenSSL verifies; "" when malformed.
std::string der_from_raw(std::string_view raw) {
  if (raw.size() != 2 * kCoordinateBytes) return {};
  Owned<ECDSA_SIG> sig(ECDSA_SIG_new());
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, kCoordinateBytes, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kCoordinateBytes, kCoordinateBytes, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  unsigned char* der = nullptr;
  const int size = i2d_ECDSA_SIG(sig.get(), &der);
  if (size <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(size));
  OPENSSL_free(der);
  return out;
}

// OpenSSL's DER signature → r||s; "" when malformed.
std::string raw_from_der(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  Owned<ECDSA_SIG> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return {};
  std::string raw(2 * kCoordinateBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kCoordinateBytes) != kCoordinateBytes ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kCoordinateBytes, kCoordinateBytes) != kCoordinateBytes)
    return {};
  return raw;
}

std::string compact(std::string_view header_json, std::string_view payload_json) {
  std::string input = base64url_encode(header_json);
  input += '.';
  input += base64url_encode(payload_json);
  return input;
}

Result<std::string> finish(std::string input, const Result<std::string>& signature) {
  if (!signature) return signature.error();
  input += '.';
  input += base64url_encode(*signature);
  return input;
}

Result<json::Value> decoded_object(std::string_view part, std::string_view what,
                                   const json::ParseLimits& limits) {
  auto bytes = base64url_decode(part);
  if (!bytes) return invalid("the JWS " + std::string(what) + " is not base64url");
  auto value = json::parse(*bytes, limits);
  if (!value || !value->is_object()) return invalid("the JWS " + std::string(what) + " is not a JSON object");
  return value;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string text = base64::encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return text;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string standard(text);
  for (char& c : standard) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    c = c == '-' ? '+' : c == '_' ? '/' : c;
  }
  standard.append((4 - standard.size() % 4) % 4, '=');
  return base64::decode(standard);
}

Result<Jws> parse_compact(std::string_view text, size_t max_bytes, const json::ParseLimits& limits) {
  if (text.empty() || text.size() > max_bytes)
    return invalid("a JWS must be 1 to " + std::to_string(max_bytes) + " bytes");
  const size_t first = text.find('.');
  const size_t second = first == std::string_view::npos ? first : text.find('.', first + 1);
  if (second == std::string_view::npos || text.find('.', second + 1) != std::string_view::npos)
    return invalid("a JWS has three dot-separated parts");
  Jws jws;
  auto header = decoded_object(text.substr(0, first), "header", limits);
  if (!header) return header.error();
  auto payload = decoded_object(text.substr(first + 1, second - first - 1), "payload", limits);
  if (!payload) return payload.error();
  auto signature = base64url_decode(text.substr(second + 1));
  if (!signature) return invalid("the JWS signature is not base64url");
  jws.header = std::move(*header);
  jws.payload = std::move(*payload);
  jws.signing_input = std::string(text.substr(0, second));
  jws.signature = std::move(*signature);
  return jws;
}

Result<EcPublicKey> EcPublicKey::parse(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  if (!bio) return make_error(Errc::server_busy, "out of memory");
  if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) return invalid("not a PEM certificate");
    return adopt(own(X509_get_pubkey(cert.get())));
  }
  return adopt(own(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)));
}

Result<EcPublicKey> EcPublicKey::adopt(std::shared_ptr<evp_pkey_st> key) {
  if (!is_p256(key)) return invalid("not a P-256 (ES256) public key");
  return EcPublicKey(std::move(key));
}

bool EcPublicKey::verify_es256(std::string_view message, std::string_view raw_signature) const {
  const std::string der = der_from_raw(raw_signature);
  return !der.empty() && crypto::keys::verify_sha256(key_.get(), message, der);
}

std::string EcPublicKey::pem() const { return crypto::keys::public_pem(key_.get()); }

Result<EcPrivateKey> EcPrivateKey::parse(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  KeyPtr key = bio ? own(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)) : KeyPtr();
  if (!key) return invalid("not a PEM private key");
  if (!is_p256(key)) return invalid("not a P-256 (ES256) private key");
  return EcPrivateKey(std::move(key));
}

EcPrivateKey EcPrivateKey::generate() {
  KeyPtr key = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) std::abort();
  return EcPrivateKey(std::move(key));
}

Result<std::string> EcPrivateKey::sign_es256(std::string_view message) const {
  auto der = crypto::keys::sign_sha256(key_.get(), message);
  if (!der) return make_error(Errc::server_busy, "ES256 signing failed");
  std::string raw = raw_from_der(*der);
  if (raw.empty()) return make_error(Errc::server_busy, "ES256 signing gave a malformed signature");
  return raw;
}

EcPublicKey EcPrivateKey::public_key() const { return EcPublicKey(crypto::keys::public_copy(key_.get())); }

std::string EcPrivateKey::pem() const { return crypto::keys::private_pem(key_.get()); }

Result<std::string> sign_es256(std::string_view header_json, std::string_view payload_json,
                               const EcPrivateKey& key) {
  std::string input = compact(header_json, payload_json);
  return finish(input, key.sign_es256(input));
}

Result<std::string> sign_rs256(std::string_view header_json, std::string_view payload_json,
                               const crypto::RsaPrivateKey& key) {
  std::string input = compact(header_json, payload_json);
  return finish(input, key.sign_sha256(input));
}

std::string rs256_header(std::string_view kid) {
  json::Writer header;
  header.begin_object().key("alg").string("RS256");
  if (!kid.empty()) header.key("kid").string(kid);
  header.key("typ").string("JWT").end_object();
  return header.take();
}

}  // namespace unipay::channels::jose
