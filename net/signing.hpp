// Request and response signing of DESIGN.md §3 (pure functions; known-answer tested).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"

namespace unipay::signing {

// METHOD "\n" PATH_WITH_QUERY "\n" TIMESTAMP "\n" NONCE "\n" hex(SHA-256(body))
std::string canonical_request(std::string_view method, std::string_view path_with_query,
                              std::string_view timestamp, std::string_view nonce, std::string_view body);

// hex HMAC-SHA256(secret, canonical_request(...))
std::string sign_request(std::string_view secret, std::string_view method, std::string_view path_with_query,
                         std::string_view timestamp, std::string_view nonce, std::string_view body);

// hex HMAC-SHA256(secret, STATUS "\n" NONCE "\n" hex(SHA-256(body)))
std::string sign_response(std::string_view secret, int status, std::string_view nonce, std::string_view body);
// The same signature from the body's hex SHA-256, for a body streamed in pieces (the
// signature then travels in the answer's trailer).
std::string sign_response_digest(std::string_view secret, int status, std::string_view nonce,
                                 std::string_view body_sha256_hex);

struct SignedHeaders {
  std::string_view app_id;
  std::string_view timestamp;
  std::string_view nonce;
  std::string_view signature;
};

// Shape checks only (no secret needed): all four present, timestamp is decimal unix
// seconds, nonce is 16..64 of [A-Za-z0-9_-], signature is 64 lowercase hex.
// → unauthorized when malformed or missing.
Status check_header_shape(const SignedHeaders& headers);

// stale_timestamp when |now - timestamp| > window_s.
Status check_timestamp(std::string_view timestamp, int64_t now_s, int64_t window_s);

// bad_signature unless the signature matches one of `secrets` (current, previous);
// constant-time comparison.
Status verify_request(const std::vector<std::string>& secrets, const SignedHeaders& headers,
                      std::string_view method, std::string_view path_with_query, std::string_view body);

// Sandbox channel: hex HMAC-SHA256(sandbox secret, raw body), compared in constant time.
bool verify_sandbox_signature(std::string_view secret, std::string_view body, std::string_view signature_hex);

}  // namespace unipay::signing
