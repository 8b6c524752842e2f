#include "net/aead.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>

namespace unipay::crypto {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

// Fetched once and kept (immutable, thread-safe; see net/crypto.cpp for the reason).
const EVP_CIPHER* gcm_for_key(size_t key_bytes) {
  static EVP_CIPHER* const aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static EVP_CIPHER* const aes192 = EVP_CIPHER_fetch(nullptr, "AES-192-GCM", nullptr);
  static EVP_CIPHER* const aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  switch (key_bytes) {
    case 16:
      return aes128;
    case 24:
      return aes192;
    case 32:
      return aes256;
    default:
      return nullptr;
  }
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// A context keyed for `encrypt` with the nonce's length set before the nonce itself.
Result<CipherCtxPtr> keyed_context(std::string_view key, std::string_view nonce, bool encrypt) {
  const EVP_CIPHER* cipher = gcm_for_key(key.size());
  if (!cipher) return make_error(Errc::invalid_parameter, "the AES-GCM key must be 16, 24 or 32 bytes");
  if (nonce.empty()) return make_error(Errc::invalid_parameter, "the AES-GCM nonce is empty");
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  size_t nonce_bytes = nonce.size();
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_CIPHER_PARAM_AEAD_IVLEN, &nonce_bytes),
                               OSSL_PARAM_construct_end()};
  if (!ctx || EVP_CipherInit_ex2(ctx.get(), cipher, nullptr, nullptr, encrypt ? 1 : 0, params) != 1 ||
      EVP_CipherInit_ex2(ctx.get(), nullptr, bytes(key), bytes(nonce), encrypt ? 1 : 0, nullptr) != 1) {
    return make_error(Errc::server_busy, "AES-GCM setup failed");
  }
  return ctx;
}

bool add_aad(EVP_CIPHER_CTX* ctx, std::string_view aad) {
  int ignored = 0;
  return aad.empty() ||
         EVP_CipherUpdate(ctx, nullptr, &ignored, bytes(aad), static_cast<int>(aad.size())) == 1;
}

}  // namespace

Result<std::string> aes_gcm_encrypt(std::string_view key, std::string_view nonce, std::string_view aad,
                                    std::string_view plaintext) {
  auto ctx = keyed_context(key, nonce, true);
  if (!ctx) return ctx.error();
  std::string out(plaintext.size() + kGcmTagBytes, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int written = 0;
  int final_bytes = 0;
  if (!add_aad(ctx->get(), aad) ||
      EVP_CipherUpdate(ctx->get(), dst, &written, bytes(plaintext), static_cast<int>(plaintext.size())) !=
          1 ||
      EVP_CipherFinal_ex(ctx->get(), dst + written, &final_bytes) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_AEAD_GET_TAG, kGcmTagBytes, dst + plaintext.size()) != 1) {
    return make_error(Errc::server_busy, "AES-GCM encryption failed");
  }
  return out;
}

Result<std::string> aes_gcm_decrypt(std::string_view key, std::string_view nonce, std::string_view aad,
                                    std::string_view ciphertext_and_tag) {
  if (ciphertext_and_tag.size() < kGcmTagBytes) {
    return make_error(Errc::invalid_parameter, "the AES-GCM ciphertext is shorter than its tag");
  }
  auto ctx = keyed_context(key, nonce, false);
  if (!ctx) return ctx.error();
  const size_t text_bytes = ciphertext_and_tag.size() - kGcmTagBytes;
  std::string tag(ciphertext_and_tag.substr(text_bytes));
  std::string out(text_bytes, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  int written = 0;
  int final_bytes = 0;
  if (!add_aad(ctx->get(), aad) ||
      EVP_CipherUpdate(ctx->get(), dst, &written, bytes(ciphertext_and_tag), static_cast<int>(text_bytes)) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_AEAD_SET_TAG, kGcmTagBytes, tag.data()) != 1) {
    return make_error(Errc::server_busy, "AES-GCM decryption failed");
  }
  if (EVP_CipherFinal_ex(ctx->get(), dst + written, &final_bytes) != 1) {
    return make_error(Errc::bad_signature, "the AES-GCM tag does not authenticate the resource");
  }
  return out;
}

}  // namespace unipay::crypto
