// Bill state/type names and RFC 3339 times (pure functions; no database).
#include "storage/bill.hpp"

#include <gtest/gtest.h>

namespace unipay {
namespace {

using std::chrono::milliseconds;

Millis at_ms(int64_t ms) { return Millis{milliseconds{ms}}; }

// Every state and type survives to_string → parse, and the names are the stored ones.
TEST(BillNames, EveryStateAndTypeRoundTrips) {
  for (auto state : {BillState::created, BillState::paid, BillState::failed, BillState::closed,
                     BillState::delivered, BillState::refunded}) {
    EXPECT_EQ(parse_bill_state(to_string(state)), state) << to_string(state);
  }
  EXPECT_EQ(to_string(BillState::delivered), "delivered");
  for (auto type : {BillType::purchase, BillType::recharge}) {
    EXPECT_EQ(parse_bill_type(to_string(type)), type);
  }
  EXPECT_EQ(to_string(BillType::recharge), "recharge");
}

// Names are exact: other spellings are refused rather than guessed.
TEST(BillNames, UnknownNamesAreRefused) {
  EXPECT_FALSE(parse_bill_state("PAID"));
  EXPECT_FALSE(parse_bill_state(""));
  EXPECT_FALSE(parse_bill_state("paid "));
  EXPECT_FALSE(parse_bill_type("gift"));
}

// The wire format of DESIGN §7.10, milliseconds always present, also before 1970.
TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_rfc3339_ms(at_ms(1795305599123)), "2026-11-21T23:59:59.123Z");
  EXPECT_EQ(format_rfc3339_ms(at_ms(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(at_ms(-1)), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_ms(at_ms(951782400000)), "2000-02-29T00:00:00.000Z");
}

// Z, offsets either side of UTC, no fraction, long fractions (truncated to ms) and
// lower-case separators all name the instants they should.
TEST(Rfc3339, ParsesZuluOffsetsAndFractions) {
  const Millis expected = at_ms(1795305599123);
  EXPECT_EQ(parse_rfc3339("2026-11-21T23:59:59.123Z"), expected);
  EXPECT_EQ(parse_rfc3339("2026-11-22T07:59:59.123+08:00"), expected);
  EXPECT_EQ(parse_rfc3339("2026-11-21T18:29:59.123-05:30"), expected);
  EXPECT_EQ(parse_rfc3339("2026-11-21t23:59:59.123456789z"), expected);
  EXPECT_EQ(parse_rfc3339("2026-11-21T23:59:59.1Z"), at_ms(1795305599100));
  EXPECT_EQ(parse_rfc3339("2026-11-21T23:59:59Z"), at_ms(1795305599000));
  EXPECT_EQ(parse_rfc3339("2026-11-21 23:59:59+00:00"), at_ms(1795305599000));
}

// Anything that is not a complete, valid RFC 3339 date-time is refused.
TEST(Rfc3339, RefusesMalformedTimes) {
  for (const char* bad :
       {"", "2026-11-21", "2026-11-21T23:59:59", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-21T24:00:00Z", "2026-11-21T23:60:00Z", "2026-11-21T23:59:60Z", "2026-11-21T23:59:59+0800",
        "2026-11-21T23:59:59+24:00", "2026-11-21T23:59:59.Z", "2026-11-21T23:59:59Zjunk",
        "2026-1-21T23:59:59Z", "+026-11-21T23:59:59Z", "2026-11-21T23:59:59.123 Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

// What we format, we parse back to the same instant.
TEST(Rfc3339, FormatThenParseIsIdentity) {
  for (int64_t ms : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{1795305599123}, int64_t{4102444799999},
                     int64_t{-86400001}}) {
    EXPECT_EQ(parse_rfc3339(format_rfc3339_ms(at_ms(ms))), at_ms(ms)) << ms;
  }
}

}  // namespace
}  // namespace unipay
