#include "net/channels/decimal_amount.hpp"

#include <array>
#include <cassert>

namespace unipay::channels {
namespace {

constexpr int64_t kMaxMinor = (int64_t{1} << 53) - 1;  // the JSON amount limit (DESIGN.md §7.4)

// ISO 4217 minor units other than 2 for currencies in current use.
constexpr std::array<std::string_view, 16> kZeroDecimal = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                                           "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                                           "VND", "VUV", "XAF", "XOF"};
constexpr std::array<std::string_view, 7> kThreeDecimal = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};

Error invalid(std::string_view text, std::string_view why) {
  return make_error(Errc::invalid_parameter,
                    "amount \"" + std::string(text.substr(0, 32)) + "\" " + std::string(why));
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

int currency_exponent(std::string_view currency) {
  for (auto code : kZeroDecimal) {
    if (code == currency) return 0;
  }
  for (auto code : kThreeDecimal) {
    if (code == currency) return 3;
  }
  return 2;
}

Result<int64_t> parse_decimal_amount(std::string_view text, std::string_view currency) {
  const int exponent = currency_exponent(currency);
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (whole.empty() || !all_digits(whole) || !all_digits(fraction))
    return invalid(text, "is not a decimal number");
  if (dot != std::string_view::npos && fraction.empty()) return invalid(text, "ends with '.'");
  if (whole.size() > 1 && whole[0] == '0') return invalid(text, "has leading zeros");
  if (fraction.size() > static_cast<size_t>(exponent)) {
    return invalid(text, "has more decimals than " + std::string(currency) + " has");
  }
  if (whole.size() > 16) return invalid(text, "is too large");
  int64_t minor = 0;
  for (char c : whole) minor = minor * 10 + (c - '0');
  for (int i = 0; i < exponent; ++i) {
    const size_t index = static_cast<size_t>(i);
    minor = minor * 10 + (index < fraction.size() ? fraction[index] - '0' : 0);
    if (minor > kMaxMinor) return invalid(text, "is too large");
  }
  if (minor > kMaxMinor) return invalid(text, "is too large");
  return minor;
}

std::string format_decimal_amount(int64_t amount_minor, std::string_view currency) {
  assert(amount_minor >= 0);
  const int exponent = currency_exponent(currency);
  std::string digits = std::to_string(amount_minor);
  if (exponent == 0) return digits;
  const size_t width = static_cast<size_t>(exponent) + 1;
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  // Built by appends: inserting "." in place trips g++ 12's false -Wrestrict at -O3.
  const size_t units = digits.size() - static_cast<size_t>(exponent);
  std::string out(digits, 0, units);
  out += '.';
  out.append(digits, units, std::string::npos);
  return out;
}

}  // namespace unipay::channels
