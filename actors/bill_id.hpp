// Bill ids: "b_" + 26 characters of Crockford base32: 48-bit millisecond time then 80
// random bits (ULID layout), so ids made later sort after earlier ones (per node, also
// within one millisecond: the random part is incremented monotonically).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/bill.hpp"

namespace unipay {

std::string make_bill_id(Millis now);
// The encoding alone, without make_bill_id's monotonic state: time (clamped to
// [0, 2^48 - 1] ms) then the 80-bit random part given as its high 16 and low 64 bits.
std::string encode_bill_id(Millis time, uint16_t random_high, uint64_t random_low);
bool looks_like_bill_id(std::string_view text);  // "b_" + 26 of [0-9A-HJKMNP-TV-Z]

}  // namespace unipay
