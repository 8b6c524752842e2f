#include "net/base64.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace unipay::base64 {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> make_table() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  return table;
}

constexpr std::array<int8_t, 256> kTable = make_table();

}  // namespace

std::string encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (n > 1) group |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    if (n > 2) group |= static_cast<unsigned char>(bytes[i + 2]);
    for (size_t c = 0; c < 4; ++c) out += c <= n ? kAlphabet[(group >> (18 - 6 * c)) & 0x3F] : '=';
  }
  return out;
}

std::optional<std::string> decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const size_t data_chars = last ? 4 - padding : 4;
    uint32_t group = 0;
    for (size_t c = 0; c < 4; ++c) {
      int8_t v = 0;
      if (c < data_chars) {
        v = kTable[static_cast<unsigned char>(text[i + c])];
        if (v < 0) return std::nullopt;  // also catches '=' before the end
      }
      group = (group << 6) | static_cast<uint32_t>(v);
    }
    const size_t bytes = data_chars - 1;  // 4 chars → 3 bytes, 3 → 2, 2 → 1
    // Spare bits after the last byte must be zero (canonical encoding).
    if (last && padding > 0 && (group & ((uint32_t{1} << (8 * (3 - bytes))) - 1)) != 0) return std::nullopt;
    for (size_t b = 0; b < bytes; ++b) out += static_cast<char>((group >> (16 - 8 * b)) & 0xFF);
  }
  return out;
}

}  // namespace unipay::base64
