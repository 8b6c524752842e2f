// The OpenSSL key plumbing shared by RSA (net/crypto_rsa) and ES256 (net/channels/jose):
// ownership, memory BIOs, SHA-256 sign/verify, public copies and PEM output. Included only by
// those two sources: it brings OpenSSL's headers.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace unipay::crypto::keys {

using KeyPtr = std::shared_ptr<EVP_PKEY>;
KeyPtr own(EVP_PKEY* key);  // empty for nullptr

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memory_bio(std::string_view text);  // reads `text`, which must outlive it
std::string bio_text(BIO* bio);            // what a memory BIO holds

// SHA-256 signatures in OpenSSL's own form (PKCS#1 v1.5 for RSA, DER ECDSA-Sig-Value for EC).
bool verify_sha256(EVP_PKEY* key, std::string_view message, std::string_view signature);
std::optional<std::string> sign_sha256(EVP_PKEY* key, std::string_view message);  // nullopt: OpenSSL failed

// The public half alone (through DER, so it holds no private material). Aborts when out of memory.
KeyPtr public_copy(EVP_PKEY* key);
std::string public_pem(EVP_PKEY* key);   // "" when OpenSSL fails
std::string private_pem(EVP_PKEY* key);  // PKCS#8, unencrypted; "" when OpenSSL fails

}  // namespace unipay::crypto::keys
