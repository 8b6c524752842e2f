#include "net/app_id.hpp"

#include <algorithm>

#include "net/crypto.hpp"

namespace unipay {
namespace {

constexpr std::string_view kPrefix = "app_";
constexpr size_t kRandomBytes = 8;
constexpr size_t kHexDigits = 2 * kRandomBytes;

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

std::string new_app_id() { return std::string(kPrefix) + crypto::random_hex(kRandomBytes); }

bool looks_like_app_id(std::string_view text) {
  if (text.size() != kPrefix.size() + kHexDigits || !text.starts_with(kPrefix)) return false;
  return std::all_of(text.begin() + kPrefix.size(), text.end(), is_lower_hex);
}

}  // namespace unipay
