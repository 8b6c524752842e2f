// net/channels/decimal_amount: provider decimal strings ↔ int64 minor units, exactly, by
// the currency's exponent; everything ambiguous or inexact is refused.
#include "net/channels/decimal_amount.hpp"

#include <gtest/gtest.h>

namespace unipay::channels {
namespace {

// Proves the accepted forms and their exact minor units for 0-, 2- and 3-decimal currencies.
TEST(DecimalAmount, AcceptedTable) {
  const struct {
    const char* text;
    const char* currency;
    int64_t minor;
  } cases[] = {{"0.10", "CNY", 10},
               {"0.1", "CNY", 10},
               {"10", "CNY", 1000},
               {"4.99", "USD", 499},
               {"0", "CNY", 0},
               {"0.00", "CNY", 0},
               {"100", "JPY", 100},
               {"1000", "KRW", 1000},
               {"1.234", "KWD", 1234},
               {"1.2", "BHD", 1200},
               {"90071992547409.91", "CNY", 9007199254740991}};
  for (const auto& c : cases) {
    auto parsed = parse_decimal_amount(c.text, c.currency);
    ASSERT_TRUE(parsed.ok()) << c.text << " " << c.currency;
    EXPECT_EQ(*parsed, c.minor) << c.text;
  }
}

// Proves every malformed, inexact or out-of-range text is invalid_parameter.
TEST(DecimalAmount, RefusedTable) {
  const std::pair<const char*, const char*> cases[] = {{"0.101", "CNY"},
                                                       {"1.0", "JPY"},
                                                       {"1.2345", "KWD"},
                                                       {"", "CNY"},
                                                       {".5", "CNY"},
                                                       {"1.", "CNY"},
                                                       {"-1", "CNY"},
                                                       {"+1", "CNY"},
                                                       {"1e2", "CNY"},
                                                       {" 1", "CNY"},
                                                       {"1 ", "CNY"},
                                                       {"01.00", "CNY"},
                                                       {"1,00", "CNY"},
                                                       {"abc", "CNY"},
                                                       {"0x10", "CNY"},
                                                       {"1.2.3", "CNY"},
                                                       {"90071992547409.92", "CNY"},
                                                       {"99999999999999999999", "JPY"}};
  for (const auto& [text, currency] : cases) {
    auto parsed = parse_decimal_amount(text, currency);
    ASSERT_FALSE(parsed.ok()) << text << " " << currency;
    EXPECT_EQ(parsed.error().code, Errc::invalid_parameter) << text;
  }
}

// Proves formatting is the exact inverse for each exponent.
TEST(DecimalAmount, FormatRoundTrip) {
  EXPECT_EQ(format_decimal_amount(10, "CNY"), "0.10");
  EXPECT_EQ(format_decimal_amount(499, "USD"), "4.99");
  EXPECT_EQ(format_decimal_amount(0, "CNY"), "0.00");
  EXPECT_EQ(format_decimal_amount(100, "JPY"), "100");
  EXPECT_EQ(format_decimal_amount(5, "KWD"), "0.005");
  for (int64_t minor : std::initializer_list<int64_t>{0, 1, 9, 10, 99, 100, 12345, 9007199254740991}) {
    for (const char* currency : {"CNY", "JPY", "KWD"}) {
      EXPECT_EQ(*parse_decimal_amount(format_decimal_amount(minor, currency), currency), minor);
    }
  }
}

}  // namespace
}  // namespace unipay::channels
