// net/json properties over generated values: serialisation is stable under a parse round
// trip, and quoting any string yields JSON that parses back to it.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "net/json.hpp"

namespace unipay::json {

// Lets RapidCheck print a counterexample.
void showValue(const Value& value, std::ostream& os) { os << serialize(value); }

namespace {

using Kind = Value::Kind;

std::string encode_utf8(const std::vector<uint32_t>& code_points) {
  std::string out;
  for (uint32_t cp : code_points) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    } else if (cp < 0x10000) {
      out += {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
              static_cast<char>(0x80 | (cp & 0x3F))};
    } else {
      out += {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
              static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
    }
  }
  return out;
}

// Every Unicode scalar value but U+0000 (which parse refuses: storage cannot hold it) is
// reachable; ASCII (controls, quote, backslash included) is weighted up because that is
// where the escaping rules live.
rc::Gen<std::string> gen_utf8(size_t max_chars) {
  auto bmp = rc::gen::map(rc::gen::inRange<uint32_t>(0x800, 0x10000), [](uint32_t cp) {
    return cp >= 0xD800 && cp <= 0xDFFF ? cp + 0x800 : cp;  // skip surrogates
  });
  auto code_point = rc::gen::weightedOneOf<uint32_t>({{4, rc::gen::inRange<uint32_t>(1, 0x80)},
                                                      {2, rc::gen::inRange<uint32_t>(0x80, 0x800)},
                                                      {2, bmp},
                                                      {1, rc::gen::inRange<uint32_t>(0x10000, 0x110000)}});
  return rc::gen::mapcat(rc::gen::inRange<size_t>(0, max_chars + 1), [code_point](size_t n) {
    return rc::gen::map(rc::gen::container<std::vector<uint32_t>>(n, code_point), encode_utf8);
  });
}

template <class T, class Set>
rc::Gen<Value> value_of_kind(rc::Gen<T> gen, Kind kind, Set set) {
  return rc::gen::map(std::move(gen), [kind, set](T x) {
    Value value;
    value.kind = kind;
    set(value, std::move(x));
    return value;
  });
}

rc::Gen<Value> gen_scalar() {
  return rc::gen::oneOf(
      rc::gen::just(Value{}),
      value_of_kind(rc::gen::arbitrary<bool>(), Kind::boolean, [](Value& v, bool b) { v.boolean = b; }),
      value_of_kind(rc::gen::arbitrary<int64_t>(), Kind::integer, [](Value& v, int64_t i) { v.integer = i; }),
      value_of_kind(rc::gen::arbitrary<double>(), Kind::number, [](Value& v, double d) { v.number = d; }),
      value_of_kind(gen_utf8(12), Kind::string, [](Value& v, std::string s) { v.string = std::move(s); }));
}

// Containers of up to 4 children, `depth` levels deep; object keys made unique (a
// duplicate would rightly be refused by parse).
rc::Gen<Value> gen_value(int depth) {
  if (depth == 0) return gen_scalar();
  rc::Gen<Value> child = gen_value(depth - 1);
  auto array = rc::gen::mapcat(rc::gen::inRange<size_t>(0, 5), [child](size_t n) {
    return value_of_kind(rc::gen::container<std::vector<Value>>(n, child), Kind::array,
                         [](Value& v, std::vector<Value> items) { v.items = std::move(items); });
  });
  auto member = rc::gen::pair(gen_utf8(6), child);
  auto object = rc::gen::mapcat(rc::gen::inRange<size_t>(0, 5), [member](size_t n) {
    using Members = std::vector<std::pair<std::string, Value>>;
    return value_of_kind(rc::gen::container<Members>(n, member), Kind::object, [](Value& v, Members m) {
      for (auto& [key, item] : m) {
        if (v.find(key) == nullptr) v.members.emplace_back(std::move(key), std::move(item));
      }
    });
  });
  return rc::gen::oneOf(gen_scalar(), array, object);
}

}  // namespace

// Proves serialize(parse(serialize(v))) == serialize(v) for generated trees of every
// kind: numbers keep their kind and exact value, strings their bytes, objects their order.
RC_GTEST_PROP(JsonProperty, SerializeParseRoundTripIsStable, ()) {
  const Value value = *gen_value(3);
  const std::string once = serialize(value);
  auto reparsed = parse(once);
  RC_ASSERT(reparsed.ok());
  RC_ASSERT(serialize(*reparsed) == once);
}

// Proves append_quoted output parses back to exactly the original valid UTF-8 string.
RC_GTEST_PROP(JsonProperty, QuotedValidUtf8ParsesBack, ()) {
  const std::string text = *gen_utf8(40);
  std::string quoted;
  append_quoted(quoted, text);
  auto parsed = parse(quoted);
  RC_ASSERT(parsed.ok());
  RC_ASSERT(parsed->kind == Kind::string);
  RC_ASSERT(parsed->string == text);
}

// Proves quoting arbitrary bytes (ASCII controls, invalid UTF-8) always yields a JSON
// string literal that parses unless it holds a NUL (then it is refused as invalid_json),
// and that pure ASCII comes back unchanged.
RC_GTEST_PROP(JsonProperty, QuotedArbitraryBytesAlwaysParse, (const std::string& bytes)) {
  std::string quoted;
  append_quoted(quoted, bytes);
  auto parsed = parse(quoted);
  if (bytes.find('\0') != std::string::npos) {
    RC_ASSERT(!parsed.ok());
    RC_ASSERT(parsed.error().code == Errc::invalid_json);
    return;
  }
  RC_ASSERT(parsed.ok());
  bool ascii = true;
  for (char c : bytes) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) RC_ASSERT(parsed->string == bytes);
}

}  // namespace unipay::json
