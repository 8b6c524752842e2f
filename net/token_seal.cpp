#include "net/token_seal.hpp"

#include <array>
#include <cassert>

#include "net/crypto.hpp"

namespace unipay {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr size_t kKeyIdHexChars = 16;

int alphabet_index(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

int hex_nibble(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

// One keystream byte per token character, from HMAC-SHA256(key, "client-token\n" + bill_id).
std::array<uint8_t, kMaxSealedTokenBytes> keystream(const TokenKey& key, std::string_view bill_id) {
  const std::string hex = crypto::hmac_sha256_hex(key.secret, "client-token\n" + std::string(bill_id));
  assert(hex.size() == 2 * kMaxSealedTokenBytes);
  std::array<uint8_t, kMaxSealedTokenBytes> out{};
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(hex_nibble(hex[2 * i]) << 4 | hex_nibble(hex[2 * i + 1]));
  return out;
}

// Adds (direction +1) or subtracts (-1) the keystream modulo 64, character by character;
// 256 is a multiple of 64, so each shift is uniform. Empty when a character is not base64url.
std::string shift(std::string_view text, const TokenKey& key, std::string_view bill_id, int direction) {
  const auto stream = keystream(key, bill_id);
  std::string out(text.size(), '\0');
  for (size_t i = 0; i < text.size(); ++i) {
    const int index = alphabet_index(text[i]);
    if (index < 0) return {};
    out[i] = kAlphabet[static_cast<size_t>(index + direction * (stream[i] % 64) + 64) % 64];
  }
  return out;
}

}  // namespace

TokenKey make_token_key(std::string secret) {
  std::string id = crypto::hmac_sha256_hex(secret, "unipay token key id").substr(0, kKeyIdHexChars);
  return TokenKey{std::move(secret), std::move(id)};
}

std::string seal_client_token(std::string_view token, const TokenKey& key, std::string_view bill_id) {
  assert(!token.empty() && token.size() <= kMaxSealedTokenBytes);
  std::string sealed = shift(token, key, bill_id, +1);
  assert(sealed.size() == token.size());  // the token was base64url
  return sealed;
}

Result<std::string> unseal_client_token(std::string_view sealed, const TokenKey& key,
                                        std::string_view bill_id) {
  if (sealed.empty() || sealed.size() > kMaxSealedTokenBytes)
    return make_error(Errc::invalid_parameter, "sealed client token of a wrong length");
  std::string token = shift(sealed, key, bill_id, -1);
  if (token.empty()) return make_error(Errc::invalid_parameter, "sealed client token is not base64url");
  return token;
}

}  // namespace unipay
