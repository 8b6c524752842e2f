// Bill ids: "b_" + 26 characters of Crockford base32: 48-bit millisecond time then 80
// random bits (ULID layout), so ids made later sort after earlier ones (per node, also
// within one millisecond: the random part is incremented monotonically).
#pragma once

#include <string>
#include <string_view>

#include "storage/bill.hpp"

namespace unipay {

std::string make_bill_id(Millis now);
bool looks_like_bill_id(std::string_view text);  // "b_" + 26 of [0-9A-HJKMNP-TV-Z]

}  // namespace unipay
