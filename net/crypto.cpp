#include "net/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace unipay::crypto {
namespace {

constexpr size_t kSha256Bytes = 32;

std::string to_hex(const unsigned char* bytes, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xF];
  }
  return out;
}

// Fetching an algorithm costs a lock and a lookup per call (STACK_NOTES: about half of
// an HMAC's time); the fetched objects are immutable and thread-safe, so each is fetched
// once and kept for the life of the process (deliberately never freed).
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  return mac;
}

EVP_MD* sha256_algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, OSSL_DIGEST_NAME_SHA2_256, nullptr);
  return md;
}

// A random generator that fails leaves no safe way on: a token or id made without it
// would be guessable, so the process stops rather than hand one out.
void random_bytes_or_abort(unsigned char* out, size_t size) {
  while (size > 0) {  // RAND_bytes takes an int count
    const size_t chunk = std::min<size_t>(size, size_t{1} << 30);
    if (RAND_bytes(out, static_cast<int>(chunk)) != 1) std::abort();
    out += chunk;
    size -= chunk;
  }
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

}  // namespace

// On an OpenSSL failure (out of memory) the digest functions answer "": it never equals a
// well-formed signature, so verification fails closed.
std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_MD* md = sha256_algorithm();
  if (md == nullptr || EVP_Digest(data.data(), data.size(), digest, &size, md, nullptr) != 1) {
    return {};
  }
  return to_hex(digest, size);
}

void Sha256Stream::CtxFree::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  EVP_MD* md = sha256_algorithm();
  failed_ = !ctx_ || md == nullptr || EVP_DigestInit_ex(ctx_.get(), md, nullptr) != 1;
}

Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::update(std::string_view data) {
  assert(!finished_ && "update after hex()");
  if (failed_ || data.empty()) return;
  failed_ = EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1;
}

std::string Sha256Stream::hex() {
  assert(!finished_ && "hex() ends the digest once");
  finished_ = true;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (failed_ || EVP_DigestFinal_ex(ctx_.get(), digest, &size) != 1 || size != kSha256Bytes) return {};
  return to_hex(digest, size);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  EVP_MAC* mac = hmac_algorithm();
  if (mac == nullptr) return {};
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac));
  if (!ctx) return {};
  char digest_name[] = OSSL_DIGEST_NAME_SHA2_256;
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                               OSSL_PARAM_construct_end()};
  // A non-null pointer even for an empty key: OpenSSL treats a null key as "no key set".
  static const unsigned char kEmpty = 0;
  const auto* key_bytes = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  unsigned char digest[EVP_MAX_MD_SIZE];
  size_t size = 0;
  if (EVP_MAC_init(ctx.get(), key_bytes, key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), digest, &size, sizeof digest) != 1 || size != kSha256Bytes) {
    return {};
  }
  return to_hex(digest, size);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Lengths are not secret here (signatures have a fixed, public length).
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_hex(size_t bytes) {
  std::string raw(bytes, '\0');
  random_bytes_or_abort(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  return to_hex(reinterpret_cast<const unsigned char*>(raw.data()), bytes);
}

std::string random_base64url(size_t bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string raw(bytes, '\0');
  random_bytes_or_abort(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  std::string out;
  out.reserve((bytes * 4 + 2) / 3);
  // 3 bytes → 4 characters; a final 1 or 2 bytes → 2 or 3 characters (no '=' padding).
  for (size_t i = 0; i < bytes; i += 3) {
    const size_t n = std::min<size_t>(3, bytes - i);
    uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(raw[i])) << 16;
    if (n > 1) group |= static_cast<uint32_t>(static_cast<unsigned char>(raw[i + 1])) << 8;
    if (n > 2) group |= static_cast<unsigned char>(raw[i + 2]);
    for (size_t c = 0; c <= n; ++c) out += kAlphabet[(group >> (18 - 6 * c)) & 0x3F];
  }
  return out;
}

}  // namespace unipay::crypto
