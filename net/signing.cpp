#include "net/signing.hpp"

#include <algorithm>
#include <charconv>

#include "net/crypto.hpp"

namespace unipay::signing {
namespace {

constexpr size_t kSignatureHexChars = 64;  // hex of a 32-byte HMAC-SHA256
constexpr size_t kNonceMin = 16;
constexpr size_t kNonceMax = 64;
constexpr size_t kTimestampMaxDigits = 19;  // int64 seconds never need more

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_nonce_char(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
}

template <class Pred>
bool all_of(std::string_view text, Pred pred) {
  return std::all_of(text.begin(), text.end(), pred);
}

Error unauthorized(std::string message) { return make_error(Errc::unauthorized, std::move(message)); }

// Exactly 64 lowercase hex: anything else (including "" from a failed HMAC) can never
// match, so comparisons below fail closed.
bool is_signature_shape(std::string_view signature) {
  return signature.size() == kSignatureHexChars && all_of(signature, is_lower_hex);
}

}  // namespace

std::string canonical_request(std::string_view method, std::string_view path_with_query,
                              std::string_view timestamp, std::string_view nonce, std::string_view body) {
  std::string out;
  out.reserve(method.size() + path_with_query.size() + timestamp.size() + nonce.size() + 68);
  out.append(method).append("\n");
  out.append(path_with_query).append("\n");
  out.append(timestamp).append("\n");
  out.append(nonce).append("\n");
  out.append(crypto::sha256_hex(body));
  return out;
}

std::string sign_request(std::string_view secret, std::string_view method, std::string_view path_with_query,
                         std::string_view timestamp, std::string_view nonce, std::string_view body) {
  return crypto::hmac_sha256_hex(secret, canonical_request(method, path_with_query, timestamp, nonce, body));
}

std::string sign_response(std::string_view secret, int status, std::string_view nonce,
                          std::string_view body) {
  return sign_response_digest(secret, status, nonce, crypto::sha256_hex(body));
}

std::string sign_response_digest(std::string_view secret, int status, std::string_view nonce,
                                 std::string_view body_sha256_hex) {
  std::string text = std::to_string(status);
  text.append("\n").append(nonce).append("\n").append(body_sha256_hex);
  return crypto::hmac_sha256_hex(secret, text);
}

Status check_header_shape(const SignedHeaders& headers) {
  if (headers.app_id.empty()) return unauthorized("missing X-Unipay-App header");
  if (headers.timestamp.empty()) return unauthorized("missing X-Unipay-Timestamp header");
  if (headers.nonce.empty()) return unauthorized("missing X-Unipay-Nonce header");
  if (headers.signature.empty()) return unauthorized("missing X-Unipay-Signature header");
  if (headers.timestamp.size() > kTimestampMaxDigits || !all_of(headers.timestamp, is_digit)) {
    return unauthorized("X-Unipay-Timestamp must be unix seconds (at most 19 decimal digits)");
  }
  if (headers.nonce.size() < kNonceMin || headers.nonce.size() > kNonceMax ||
      !all_of(headers.nonce, is_nonce_char)) {
    return unauthorized("X-Unipay-Nonce must be 16 to 64 characters of [A-Za-z0-9_-]");
  }
  if (!is_signature_shape(headers.signature)) {
    return unauthorized("X-Unipay-Signature must be 64 lowercase hex digits");
  }
  return ok_status();
}

Status check_timestamp(std::string_view timestamp, int64_t now_s, int64_t window_s) {
  if (timestamp.empty() || !all_of(timestamp, is_digit)) {
    return unauthorized("X-Unipay-Timestamp must be unix seconds (decimal digits)");
  }
  const Error stale =
      make_error(Errc::stale_timestamp, "X-Unipay-Timestamp is more than " + std::to_string(window_s) +
                                            " s away from the server clock");
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), seconds);
  if (ec != std::errc{} || end != timestamp.data() + timestamp.size()) return stale;  // > int64
  // Checked subtraction: a 19-digit timestamp minus a small clock must not overflow.
  int64_t diff = 0;
  if (__builtin_sub_overflow(now_s, seconds, &diff)) return stale;
  const int64_t window = std::max<int64_t>(window_s, 0);
  if (diff > window || diff < -window) return stale;
  return ok_status();
}

Status verify_request(const std::vector<std::string>& secrets, const SignedHeaders& headers,
                      std::string_view method, std::string_view path_with_query, std::string_view body) {
  const Error bad = make_error(Errc::bad_signature, "X-Unipay-Signature does not match");
  if (!is_signature_shape(headers.signature)) return bad;
  const std::string canonical =
      canonical_request(method, path_with_query, headers.timestamp, headers.nonce, body);
  // Every secret is tried (no early exit), so timing does not tell which one matched.
  bool matched = false;
  for (const std::string& secret : secrets) {
    // An empty secret is "not set" (e.g. no previous secret): accepting it would let
    // anyone sign with the empty key.
    if (secret.empty()) continue;
    matched |= crypto::constant_time_equal(crypto::hmac_sha256_hex(secret, canonical), headers.signature);
  }
  if (!matched) return bad;
  return ok_status();
}

bool verify_sandbox_signature(std::string_view secret, std::string_view body,
                              std::string_view signature_hex) {
  if (secret.empty() || !is_signature_shape(signature_hex)) return false;
  return crypto::constant_time_equal(crypto::hmac_sha256_hex(secret, body), signature_hex);
}

}  // namespace unipay::signing
