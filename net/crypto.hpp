// Thin, allocation-light wrappers over OpenSSL 3 (EVP_MAC, EVP_Digest, RAND_bytes).
#pragma once

#include <string>
#include <string_view>

namespace unipay::crypto {

std::string sha256_hex(std::string_view data);                             // lowercase hex
std::string hmac_sha256_hex(std::string_view key, std::string_view data);  // lowercase hex
// Constant-time for equal lengths (CRYPTO_memcmp); different lengths are unequal.
bool constant_time_equal(std::string_view a, std::string_view b);
// `bytes` random bytes from RAND_bytes, as lowercase hex / as base64url without padding.
std::string random_hex(size_t bytes);
std::string random_base64url(size_t bytes);

}  // namespace unipay::crypto
