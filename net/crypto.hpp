// Thin, allocation-light wrappers over OpenSSL 3 (EVP_MAC, EVP_Digest, RAND_bytes).
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace unipay::crypto {

std::string sha256_hex(std::string_view data);                             // lowercase hex
std::string hmac_sha256_hex(std::string_view key, std::string_view data);  // lowercase hex
// SHA-256 of data given in pieces (a streamed answer's body, which is never whole in
// memory). hex() ends it: lowercase hex, "" on an OpenSSL failure (fails closed like
// sha256_hex); update() after hex() is a programmer error.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void update(std::string_view data);
  std::string hex();

 private:
  struct CtxFree {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, CtxFree> ctx_;
  bool failed_ = false;
  bool finished_ = false;
};

// Constant-time for equal lengths (CRYPTO_memcmp); different lengths are unequal.
bool constant_time_equal(std::string_view a, std::string_view b);
// `bytes` random bytes from RAND_bytes, as lowercase hex / as base64url without padding.
std::string random_hex(size_t bytes);
std::string random_base64url(size_t bytes);

}  // namespace unipay::crypto
