// Standard base64 (RFC 4648 §4, with '=' padding) as the providers use it for signatures,
// keys and ciphertexts. Decoding is strict so that one encoded text means one byte string:
// no whitespace, correct padding, and zero bits after the last byte, so a changed
// character can never decode to the same bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace unipay::base64 {

std::string encode(std::string_view bytes);
// std::nullopt for any character outside the alphabet, wrong padding or non-zero spare bits.
std::optional<std::string> decode(std::string_view text);

}  // namespace unipay::base64
