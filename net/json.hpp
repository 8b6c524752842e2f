// JSON in and out. parse() builds a small tree from simdjson's DOM and enforces the
// limits of DESIGN.md §6/§7.4: depth, duplicate keys, UTF-8, no U+0000 (all → invalid_json).
// Writer produces compact UTF-8 JSON with correct escaping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/result.hpp"

namespace unipay::json {

struct Value {
  enum class Kind { null, boolean, integer, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  int64_t integer = 0;  // Kind::integer: the token had no fraction and no exponent and fits int64
  double number = 0;    // Kind::number: any other number token (100.0, 1e2, 2^64)
  std::string string;
  std::vector<Value> items;
  std::vector<std::pair<std::string, Value>> members;  // in document order, keys unique

  bool is_object() const { return kind == Kind::object; }
  // The member's value, or nullptr.
  const Value* find(std::string_view key) const;
};

struct ParseLimits {
  size_t max_depth = 32;
};

// invalid_json (with a message saying what and where) for syntax errors, bad UTF-8, U+0000
// in a string or key (escaped or raw: storage cannot hold it),
// nesting deeper than max_depth, duplicate object keys.
Result<Value> parse(std::string_view text, const ParseLimits& limits = {});

// Field readers for request objects; errors are invalid_parameter naming the field.
// Absent or null → std::nullopt (the caller decides whether it is required).
Result<std::optional<std::string>> get_string(const Value& object, std::string_view key, size_t max_bytes);
// An amount: an integer token in [1, 2^53 - 1]; 100.0, 1e2, "100", 0, -1 are refused.
Result<std::optional<int64_t>> get_amount(const Value& object, std::string_view key);
// A non-negative integer token in [0, 2^53 - 1].
Result<std::optional<int64_t>> get_count(const Value& object, std::string_view key);

// Length of the valid UTF-8 sequence that starts `rest` (not empty), or 0 if it is not one.
size_t valid_sequence_length(std::string_view rest);

// Compact serialisation of a parsed value (used to store `extra`).
std::string serialize(const Value& value);

// Appends a JSON string literal (quotes included) with escaping of ", \, control
// characters; valid UTF-8 passes through unchanged.
void append_quoted(std::string& out, std::string_view text);

// Streaming writer for answers. Commas are placed automatically.
class Writer {
 public:
  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& key(std::string_view name);
  Writer& string(std::string_view text);
  Writer& integer(int64_t number);
  Writer& boolean(bool flag);
  Writer& null();
  Writer& raw(std::string_view json);  // an already serialised JSON value
  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace unipay::json
