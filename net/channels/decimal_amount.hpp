// Money between decimal strings ("0.10", as Alipay writes amounts) and int64 minor units,
// exactly, using each currency's ISO 4217 exponent. No floating point anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace unipay::channels {

// Digits after the decimal point: JPY/KRW/... 0, BHD/KWD/... 3, every other currency 2.
int currency_exponent(std::string_view currency);

// "0.10" CNY → 10; "100" JPY → 100. invalid_parameter for: a sign, an exponent, spaces, an
// empty part ("1.", ".5"), leading zeros ("01.00"), more decimals than the currency has
// ("0.101" CNY, "1.0" JPY), or a value of 2^53 minor units or more.
Result<int64_t> parse_decimal_amount(std::string_view text, std::string_view currency);

// 10 CNY → "0.10"; 100 JPY → "100". amount_minor must be >= 0.
std::string format_decimal_amount(int64_t amount_minor, std::string_view currency);

}  // namespace unipay::channels
