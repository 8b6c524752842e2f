// net/channels/form: strict x-www-form-urlencoded parsing and encodeURIComponent encoding.
#include "net/channels/form.hpp"

#include <gtest/gtest.h>

namespace unipay::channels::form {
namespace {

// Proves decoding of %XX and '+', body order kept, and encode → parse round trip of
// arbitrary bytes (UTF-8, reserved characters).
TEST(Form, ParseAndRoundTrip) {
  auto fields = parse("b=2&a=x+y%2Bz&c=", 10);
  ASSERT_TRUE(fields.ok());
  ASSERT_EQ(fields->size(), 3u);
  EXPECT_EQ((*fields)[0], (std::pair<std::string, std::string>{"b", "2"}));
  EXPECT_EQ((*fields)[1].second, "x y+z");
  EXPECT_EQ((*fields)[2].second, "");
  Fields original = {
      {"subject", "语雀 500人 a&b=c%"}, {"json", R"({"k":"v"})"}, {"t", "2024-01-01 10:00:00"}};
  const std::string encoded = encode(original);
  EXPECT_EQ(encoded.find(' '), std::string::npos);
  EXPECT_EQ(*parse(encoded, 10), original);
  EXPECT_EQ(encode_component("a b~*'()!-_.%/"), "a%20b~*'()!-_.%25%2F");
}

// Proves the refusals: duplicate keys, bad escapes, fields without '=' or a name, empty
// segments, a trailing '&', and more fields than allowed.
TEST(Form, StrictRefusals) {
  for (const char* bad : {"a=1&a=2", "a=%G1", "a=%1", "a", "=1", "a=1&&b=2", "a=1&", "&a=1"}) {
    auto parsed = parse(bad, 10);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, Errc::invalid_parameter) << bad;
  }
  EXPECT_FALSE(parse("a=1&b=2&c=3", 2).ok());
  EXPECT_TRUE(parse("a=1&b=2", 2).ok());
  EXPECT_TRUE(parse("", 2).ok());
}

}  // namespace
}  // namespace unipay::channels::form
