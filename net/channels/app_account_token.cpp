#include "net/channels/app_account_token.hpp"

#include <cstdint>

namespace unipay::channels {
namespace {

using Uint128 = unsigned __int128;
constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::string_view kPrefix = "b_";
constexpr size_t kEncodedChars = 26;
constexpr size_t kUuidChars = 36;
constexpr char kHex[] = "0123456789abcdef";

bool dash_at(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> app_account_token(std::string_view bill_id) {
  if (bill_id.size() != kPrefix.size() + kEncodedChars || !bill_id.starts_with(kPrefix)) return std::nullopt;
  Uint128 value = 0;
  for (char c : bill_id.substr(kPrefix.size())) {
    const size_t digit = kCrockford.find(c);
    if (digit == std::string_view::npos) return std::nullopt;
    // 26 characters carry 130 bits: the top two must be zero for a 128-bit id.
    if ((value >> 123) != 0) return std::nullopt;
    value = (value << 5) | digit;
  }
  std::string token;
  for (int nibble = 31; nibble >= 0; --nibble) {
    if (dash_at(token.size())) token += '-';
    token += kHex[static_cast<size_t>((value >> (4 * nibble)) & 15)];
  }
  return token;
}

std::optional<std::string> bill_id_from_app_account_token(std::string_view token) {
  if (token.size() != kUuidChars) return std::nullopt;
  Uint128 value = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    if (dash_at(i)) {
      if (token[i] != '-') return std::nullopt;
      continue;
    }
    const int digit = hex_value(token[i]);
    if (digit < 0) return std::nullopt;
    value = (value << 4) | static_cast<unsigned>(digit);
  }
  std::string bill_id(kPrefix.size() + kEncodedChars, '0');
  bill_id.replace(0, kPrefix.size(), kPrefix);
  for (size_t i = bill_id.size(); i > kPrefix.size(); --i) {
    bill_id[i - 1] = kCrockford[static_cast<size_t>(value & 31)];
    value >>= 5;
  }
  return bill_id;
}

}  // namespace unipay::channels
