#include "net/crypto_rsa.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>

#include "net/base64.hpp"
#include "net/openssl_keys.hpp"

namespace unipay::crypto {
namespace {

using keys::BioPtr;
using keys::KeyPtr;
using keys::memory_bio;
using keys::own;

bool is_rsa(const KeyPtr& key) { return key && EVP_PKEY_is_a(key.get(), "RSA") == 1; }

KeyPtr public_from_pem(std::string_view text) {
  BioPtr bio = memory_bio(text);
  if (!bio) return {};
  if (text.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos) {
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!cert) return {};
    KeyPtr key = own(X509_get_pubkey(cert));
    X509_free(cert);
    return key;
  }
  return own(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

KeyPtr public_from_base64_der(std::string_view text) {
  auto der = base64::decode(text);
  if (!der) return {};
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  return own(d2i_PUBKEY(nullptr, &p, static_cast<long>(der->size())));
}

KeyPtr private_from_text(std::string_view text) {
  if (text.find("-----BEGIN") != std::string_view::npos) {
    BioPtr bio = memory_bio(text);
    return bio ? own(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)) : KeyPtr();
  }
  auto der = base64::decode(text);
  if (!der) return {};
  const auto* p = reinterpret_cast<const unsigned char*>(der->data());
  return own(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der->size())));
}

}  // namespace

Result<RsaPublicKey> RsaPublicKey::parse(std::string_view text) {
  const bool pem = text.find("-----BEGIN") != std::string_view::npos;
  KeyPtr key = pem ? public_from_pem(text) : public_from_base64_der(text);
  if (!key) return make_error(Errc::invalid_parameter, "not a PEM public key, certificate or base64 DER key");
  if (!is_rsa(key)) return make_error(Errc::invalid_parameter, "not an RSA key");
  return RsaPublicKey(std::move(key));
}

bool RsaPublicKey::verify_sha256(std::string_view message, std::string_view signature) const {
  return keys::verify_sha256(key_.get(), message, signature);
}

std::string RsaPublicKey::pem() const { return keys::public_pem(key_.get()); }

Result<RsaPrivateKey> RsaPrivateKey::parse(std::string_view text) {
  KeyPtr key = private_from_text(text);
  if (!key) return make_error(Errc::invalid_parameter, "not a PEM or base64 DER private key");
  if (!is_rsa(key)) return make_error(Errc::invalid_parameter, "not an RSA key");
  return RsaPrivateKey(std::move(key));
}

RsaPrivateKey RsaPrivateKey::generate(int bits) {
  KeyPtr key = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
  if (!key) std::abort();
  return RsaPrivateKey(std::move(key));
}

Result<std::string> RsaPrivateKey::sign_sha256(std::string_view message) const {
  auto signature = keys::sign_sha256(key_.get(), message);
  if (!signature) return make_error(Errc::server_busy, "RSA signing failed");
  return std::move(*signature);
}

RsaPublicKey RsaPrivateKey::public_key() const { return RsaPublicKey(keys::public_copy(key_.get())); }

std::string RsaPrivateKey::pem() const { return keys::private_pem(key_.get()); }

}  // namespace unipay::crypto
