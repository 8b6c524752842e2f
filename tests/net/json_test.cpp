// net/json: the parsing limits of DESIGN.md §6/§7.4 and the writer's escaping.
#include "net/json.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace unipay::json {
namespace {

std::string nested_arrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::string nested_objects(size_t depth) {
  std::string text;
  for (size_t i = 0; i < depth; ++i) text += "{\"a\":";
  text += "1";
  return text + std::string(depth, '}');
}

// The error code of a parse that must fail (fails the test if it succeeded).
Errc parse_error_code(std::string_view text) {
  auto result = parse(text);
  EXPECT_FALSE(result.ok()) << "accepted: " << text;
  return result.ok() ? Errc::server_busy : result.error().code;
}

// Proves the depth rule: a top-level container is depth 1; 32 levels pass, 33 are
// refused as invalid_json, for arrays (empty or not at the bottom), objects and a mix.
TEST(JsonParse, DepthThirtyTwoAcceptedThirtyThreeRefused) {
  EXPECT_TRUE(parse(nested_arrays(32)).ok());
  EXPECT_TRUE(parse(nested_objects(32)).ok());
  EXPECT_EQ(parse_error_code(nested_arrays(33)), Errc::invalid_json);
  EXPECT_EQ(parse_error_code(nested_objects(33)), Errc::invalid_json);
  EXPECT_EQ(parse_error_code("{\"a\":" + nested_arrays(32) + "}"), Errc::invalid_json);
  EXPECT_TRUE(parse("{\"a\":" + nested_arrays(31) + "}").ok());
  // Non-empty innermost arrays (simdjson's own limit) and empty ones (the walk's) agree.
  EXPECT_TRUE(parse(std::string(32, '[') + "1" + std::string(32, ']')).ok());
  EXPECT_EQ(parse_error_code(std::string(33, '[') + "1" + std::string(33, ']')), Errc::invalid_json);
  EXPECT_NE(parse(nested_arrays(33)).error().message.find("32"), std::string::npos);
}

// Proves the per-thread parser follows each call's own limit (it is re-sized both ways).
TEST(JsonParse, DepthLimitIsPerCall) {
  EXPECT_TRUE(parse(nested_arrays(2), ParseLimits{2}).ok());
  EXPECT_FALSE(parse(nested_arrays(3), ParseLimits{2}).ok());
  EXPECT_TRUE(parse(nested_arrays(32)).ok());
  EXPECT_TRUE(parse("1", ParseLimits{0}).ok());
  EXPECT_FALSE(parse("[]", ParseLimits{0}).ok());
}

// Proves duplicate keys are refused at the top level, nested in objects and arrays, and
// when they differ only in escaping; equal keys in different objects are fine.
TEST(JsonParse, DuplicateKeysRefusedAnywhere) {
  auto top = parse(R"({"a":1,"b":2,"a":3})");
  ASSERT_FALSE(top.ok());
  EXPECT_EQ(top.error().code, Errc::invalid_json);
  EXPECT_EQ(top.error().message, "duplicate key \"a\"");
  auto nested = parse(R"({"x":{"amount":1,"amount":1}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().message, "duplicate key \"amount\"");
  EXPECT_EQ(parse_error_code(R"([1,{"k":null,"k":null}])"), Errc::invalid_json);
  EXPECT_EQ(parse_error_code(R"({"a":1,"\u0061":2})"), Errc::invalid_json);
  EXPECT_TRUE(parse(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})").ok());
}

// Proves bad UTF-8 anywhere (value, key, overlong, surrogate, truncated) and lone
// surrogate escapes are invalid_json.
TEST(JsonParse, BadUtf8Refused) {
  for (std::string_view text :
       {"\"\xff\"", "{\"\xc3\":1}", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xe2\x82\"",
        "[\"ok\",\"\xf8\x88\x80\x80\x80\"]", R"("\ud800")", R"("\udc00x")"}) {
    EXPECT_EQ(parse_error_code(text), Errc::invalid_json) << text;
  }
  auto pair = parse(R"("\ud83d\ude00 é")");
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair->string, "\xF0\x9F\x98\x80 \xC3\xA9");
}

// Proves U+0000 is refused as invalid_json wherever a JSON string holds it, escaped or as a
// raw byte, in values and in keys, at any depth: PostgreSQL cannot store it and C strings
// would cut it off, so a NUL must never get past the parser.
TEST(JsonParse, NulRefusedInStringsAndKeys) {
  using namespace std::string_view_literals;
  for (std::string_view text : {R"({"extra":{"x":"\u0000"}})"sv, R"("a\u0000b")"sv, R"({"k\u0000":1})"sv,
                                R"([[{"a":["\u0000"]}]])"sv}) {
    auto result = parse(text);
    ASSERT_FALSE(result.ok()) << "accepted an escaped NUL: " << text;
    EXPECT_EQ(result.error().code, Errc::invalid_json);
    EXPECT_NE(result.error().message.find("U+0000"), std::string::npos) << result.error().message;
  }
  // A raw NUL byte (like any raw control character) is not a valid string character.
  for (std::string_view text : {"\"a\0b\""sv, "{\"k\0\":1}"sv, "{\"x\":[\"\0\"]}"sv}) {
    EXPECT_EQ(parse_error_code(text), Errc::invalid_json) << text.size() << " bytes";
  }
  // Other escaped controls stay accepted, and "\\u0000" is six ordinary characters.
  auto controls = parse(R"({"x":"\u0001\u001f\t","y":"\\u0000"})");
  ASSERT_TRUE(controls.ok()) << controls.error().message;
  EXPECT_EQ(controls->find("x")->string, "\x01\x1f\t");
  EXPECT_EQ(controls->find("y")->string, "\\u0000");
}

// Proves syntax errors, trailing content and empty bodies are invalid_json.
TEST(JsonParse, SyntaxAndTrailingContentRefused) {
  for (std::string_view text : {"", "  ", "{} x", "{}}", "1 2", "[1,]", "{\"a\":}", "nul", "{'a':1}",
                                "[1] [2]", "\"unterminated", "01"}) {
    EXPECT_EQ(parse_error_code(text), Errc::invalid_json) << text;
  }
  EXPECT_TRUE(parse(" \n{\"a\": [1, 2]}\t ").ok());
}

// Proves the integer/number split: integer tokens that fit int64 are Kind::integer;
// fractions, exponents, -0.0 and anything beyond int64 (even beyond uint64) are numbers.
TEST(JsonParse, IntegersVersusNumbers) {
  using Kind = Value::Kind;
  auto value = parse(R"([100, -7, 9223372036854775807, -9223372036854775808, 100.0, 1e2,
      -0.0, 9223372036854775808, 18446744073709551616, -123456789012345678901234, -0])");
  ASSERT_TRUE(value.ok()) << value.error().message;
  const auto& items = value->items;
  ASSERT_EQ(items.size(), 11u);
  EXPECT_EQ(items[0].kind, Kind::integer);
  EXPECT_EQ(items[0].integer, 100);
  EXPECT_EQ(items[1].integer, -7);
  EXPECT_EQ(items[2].integer, INT64_MAX);
  EXPECT_EQ(items[3].integer, INT64_MIN);
  for (size_t i = 4; i < 10; ++i) EXPECT_EQ(items[i].kind, Kind::number) << i;
  EXPECT_EQ(items[4].number, 100.0);
  EXPECT_EQ(items[5].number, 100.0);
  EXPECT_TRUE(std::signbit(items[6].number));
  EXPECT_EQ(items[7].number, 9223372036854775808.0);
  EXPECT_EQ(items[8].number, 18446744073709551616.0);
  EXPECT_EQ(items[9].number, -123456789012345678901234.0);
  EXPECT_EQ(items[10].kind, Kind::integer);  // "-0" is an integer token: 0
  EXPECT_EQ(parse_error_code("1e400"), Errc::invalid_json);
  EXPECT_EQ(parse_error_code("[012345678901234567890123]"), Errc::invalid_json);
}

// Proves the big-integer retry leaves strings alone (digits and escaped quotes in them).
TEST(JsonParse, BigIntegerRetryKeepsStrings) {
  auto value =
      parse(R"({"s":"12345678901234567890123 \"99999999999999999999999","n":-99999999999999999999})");
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(value->find("s")->string, "12345678901234567890123 \"99999999999999999999999");
  EXPECT_EQ(value->find("n")->number, -1e20);
}

// Proves bodies larger than the parser's initial capacity parse (capacity grows).
TEST(JsonParse, LargeBodyParses) {
  std::string text = "{\"s\":\"" + std::string(65000, 'x') + "\"}";
  auto value = parse(text);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->find("s")->string.size(), 65000u);
}

// Proves amounts accept exactly the integer tokens in [1, 2^53 - 1].
TEST(JsonFields, AmountBounds) {
  auto amount = [](std::string_view literal) {
    return get_amount(parse("{\"amount\":" + std::string(literal) + "}").value(), "amount");
  };
  EXPECT_EQ(amount("1").value(), 1);
  EXPECT_EQ(amount("9007199254740991").value(), 9007199254740991);
  for (std::string_view bad : {"9007199254740992", "0", "-1", "\"100\"", "100.0", "1e2", "1.5",
                               "18446744073709551616", "true", "[1]", "{}"}) {
    auto result = amount(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().code, Errc::invalid_parameter);
    EXPECT_EQ(result.error().message, "amount must be an integer number of minor units in [1, 2^53-1]");
  }
  EXPECT_FALSE(amount("null").value().has_value());
  EXPECT_FALSE(get_amount(parse("{}").value(), "amount").value().has_value());
}

// Proves counts accept 0 and refuse negatives and non-integers.
TEST(JsonFields, CountBounds) {
  auto count = [](std::string_view literal) {
    return get_count(parse("{\"coins\":" + std::string(literal) + "}").value(), "coins");
  };
  EXPECT_EQ(count("0").value(), 0);
  EXPECT_EQ(count("9007199254740991").value(), 9007199254740991);
  EXPECT_FALSE(count("-1").ok());
  EXPECT_FALSE(count("9007199254740992").ok());
  EXPECT_FALSE(count("2.0").ok());
}

// Proves get_string: absent/null are nullopt, wrong type and overlong are
// invalid_parameter naming the field, and the limit counts bytes.
TEST(JsonFields, StringTypeAndLength) {
  auto object = parse(R"({"u":"\u00e9t\u00e9","n":null,"x":5})").value();  // "été": 5 bytes
  EXPECT_EQ(get_string(object, "u", 5).value(), "\xC3\xA9t\xC3\xA9");
  auto too_long = get_string(object, "u", 4);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, Errc::invalid_parameter);
  EXPECT_EQ(too_long.error().message, "field u: at most 4 bytes");
  EXPECT_FALSE(get_string(object, "n", 10).value().has_value());
  EXPECT_FALSE(get_string(object, "missing", 10).value().has_value());
  auto wrong = get_string(object, "x", 10);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::invalid_parameter);
  EXPECT_NE(wrong.error().message.find("field x"), std::string::npos);
}

// Proves the escaping rules: quote, backslash, named and \u00XX control escapes; DEL and
// valid UTF-8 pass through; invalid bytes become U+FFFD so output stays valid JSON.
TEST(JsonWrite, Escaping) {
  std::string out;
  append_quoted(out, std::string_view("a\"b\\c\n\r\t\b\f\x01\x1f\x7f/\0z", 16));
  EXPECT_EQ(out, R"("a\"b\\c\n\r\t\b\f\u0001\u001f)"
                 "\x7f"
                 R"(/\u0000z")");
  out.clear();
  append_quoted(out, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(out, "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"");
  out.clear();
  append_quoted(out,
                "a\xff"
                "b\xE2\x82");
  EXPECT_EQ(out,
            "\"a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(parse(out)->string,
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
}

// Proves the writer places commas and colons itself, at every nesting level.
TEST(JsonWrite, WriterCommas) {
  Writer writer;
  writer.begin_object().key("a").integer(-1).key("b").begin_array().integer(1).string("x");
  writer.begin_object().end_object().begin_array().end_array().null().end_array();
  writer.key("c").boolean(true).key("d").raw(R"({"e":[]})").key("f").boolean(false).end_object();
  EXPECT_EQ(writer.str(), R"({"a":-1,"b":[1,"x",{},[],null],"c":true,"d":{"e":[]},"f":false})");
  EXPECT_TRUE(parse(writer.str()).ok());
}

// Proves serialize keeps the kind of numbers (100.0 stays a fraction token), keeps member
// order, and writes non-finite numbers as null.
TEST(JsonWrite, SerializeNumbersAndOrder) {
  auto value = parse(R"({"z":100.0,"a":1e2,"m":[-0.0,0.1,1e300,-5,"s"],"t":true,"n":null})");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(serialize(*value), R"({"z":100.0,"a":100.0,"m":[-0.0,0.1,1e+300,-5,"s"],"t":true,"n":null})");
  Value nan;
  nan.kind = Value::Kind::number;
  nan.number = std::nan("");
  EXPECT_EQ(serialize(nan), "null");
}

}  // namespace
}  // namespace unipay::json
