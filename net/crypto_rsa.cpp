#include "net/crypto_rsa.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>

#include "net/base64.hpp"

namespace unipay::crypto {
namespace {

using KeyPtr = std::shared_ptr<EVP_PKEY>;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

KeyPtr own(EVP_PKEY* key) { return key ? KeyPtr(key, EVP_PKEY_free) : KeyPtr(); }

BioPtr memory_bio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

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

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
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
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key_.get(), nullptr) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string RsaPublicKey::pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) return {};
  return bio_text(bio.get());
}

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
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string signature(static_cast<size_t>(EVP_PKEY_get_size(key_.get())), '\0');
  size_t size = signature.size();
  if (!ctx ||
      EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, key_.get(), nullptr) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return make_error(Errc::server_busy, "RSA signing failed");
  }
  signature.resize(size);
  return signature;
}

RsaPublicKey RsaPrivateKey::public_key() const {
  // Through DER so the public key object holds no private material.
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key_.get(), &der);
  if (size <= 0) std::abort();  // only on out of memory
  const unsigned char* p = der;
  KeyPtr key = own(d2i_PUBKEY(nullptr, &p, size));
  OPENSSL_free(der);
  if (!key) std::abort();
  return RsaPublicKey(std::move(key));
}

std::string RsaPrivateKey::pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  return bio_text(bio.get());
}

}  // namespace unipay::crypto
