// Query decoding and header lookup of the HTTP value types (no network).
#include "net/http_types.hpp"

#include <gtest/gtest.h>

namespace unipay::http {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// Proves: '+' is a space, %XX decodes in either case, other bytes pass through.
TEST(UrlDecode, DecodesPlusAndPercentEscapes) {
  std::string out;
  ASSERT_TRUE(url_decode("a+b%20c%2Fd%2fe%41", out));
  EXPECT_EQ(out, "a b c/d/eA");
  ASSERT_TRUE(url_decode("", out));
  EXPECT_EQ(out, "");
  ASSERT_TRUE(url_decode("%00x", out));
  EXPECT_EQ(out, std::string("\0x", 2));
}

// Proves: a '%' without two hex digits after it is refused, wherever it sits.
TEST(UrlDecode, RefusesMalformedEscapes) {
  std::string out;
  EXPECT_FALSE(url_decode("%", out));
  EXPECT_FALSE(url_decode("abc%4", out));
  EXPECT_FALSE(url_decode("%zz", out));
  EXPECT_FALSE(url_decode("%4g", out));
  EXPECT_FALSE(url_decode("a%%20", out));
}

// Proves: pairs come out decoded, in order; a key without '=' has an empty value and
// empty segments are skipped.
TEST(ParseQuery, SplitsAndDecodesPairs) {
  Pairs out;
  ASSERT_TRUE(parse_query("a=1&b=x+y&c=%3D%26&flag&&d=", out));
  EXPECT_EQ(out, (Pairs{{"a", "1"}, {"b", "x y"}, {"c", "=&"}, {"flag", ""}, {"d", ""}}));
  ASSERT_TRUE(parse_query("", out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(parse_query("k%20ey=v=w", out));
  EXPECT_EQ(out, (Pairs{{"k ey", "v=w"}}));
}

// Proves: a malformed escape in a key or a value fails the whole query.
TEST(ParseQuery, RefusesMalformedEscapes) {
  Pairs out;
  EXPECT_FALSE(parse_query("a=1&b=%G0", out));
  EXPECT_FALSE(parse_query("%=1", out));
}

// Proves: header() finds the first header of that name and "" when absent.
TEST(RequestHeader, FindsFirstByLowercaseName) {
  Request request;
  request.headers = {{"x-a", "1"}, {"content-type", "application/json"}, {"x-a", "2"}};
  EXPECT_EQ(request.header("x-a"), "1");
  EXPECT_EQ(request.header("content-type"), "application/json");
  EXPECT_EQ(request.header("missing"), "");
  EXPECT_TRUE(request.has_header("x-a"));
  EXPECT_FALSE(request.has_header("missing"));
}

}  // namespace
}  // namespace unipay::http
