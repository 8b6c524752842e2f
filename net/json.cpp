#include "net/json.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <new>

namespace unipay::json {
namespace {

namespace dom = simdjson::dom;

constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;
// The tree walk below is recursive; a larger configured depth is treated as this one so a
// misconfiguration cannot overflow the stack of an io thread.
constexpr size_t kDepthCeiling = 1024;

Error invalid_json(std::string message) { return make_error(Errc::invalid_json, std::move(message)); }

// Sorting the keys keeps a 64 KiB object of 10,000 short keys from costing 10^8 compares.
Status check_unique_keys(const std::vector<std::pair<std::string, Value>>& members) {
  if (members.size() < 2) return ok_status();
  std::vector<std::string_view> keys;
  keys.reserve(members.size());
  for (const auto& member : members) keys.emplace_back(member.first);
  std::sort(keys.begin(), keys.end());
  auto dup = std::adjacent_find(keys.begin(), keys.end());
  if (dup == keys.end()) return ok_status();
  // Cut to 64 bytes for the message; a character cut in half is shown as U+FFFD.
  std::string message = "duplicate key ";
  append_quoted(message, dup->substr(0, 64));
  return invalid_json(std::move(message));
}

// PostgreSQL's text and jsonb cannot hold U+0000, and C strings end at it: a NUL in a
// request could never be stored whole, so it is refused here, at the door.
Status check_no_nul(std::string_view text, const char* where) {
  if (text.find('\0') == std::string_view::npos) return ok_status();
  return invalid_json(std::string("JSON strings cannot hold U+0000 (in ") + where + ")");
}

Error too_deep(size_t max_depth) {
  return invalid_json("JSON nesting deeper than " + std::to_string(max_depth) + " levels");
}

// `depth`: containers enclosing `element` (0 at the root), so a top-level object is at
// depth 1. simdjson enforces the limit on non-empty containers only ("[[]]" has one
// level for it), so the walk checks every container itself.
Status build(dom::element element, size_t depth, size_t max_depth, Value& out);

Status build_object(dom::object object, size_t depth, size_t max_depth, Value& out) {
  out.kind = Value::Kind::object;
  out.members.reserve(object.size());
  for (dom::key_value_pair field : object) {
    if (Status status = check_no_nul(field.key, "an object key"); !status) return status;
    out.members.emplace_back(std::string(field.key), Value{});
    Status status = build(field.value, depth, max_depth, out.members.back().second);
    if (!status) return status;
  }
  return check_unique_keys(out.members);
}

Status build(dom::element element, size_t depth, size_t max_depth, Value& out) {
  using Kind = Value::Kind;
  const dom::element_type type = element.type();
  if (type == dom::element_type::OBJECT || type == dom::element_type::ARRAY) {
    if (++depth > max_depth) return too_deep(max_depth);
  }
  switch (type) {
    case dom::element_type::OBJECT:
      return build_object(element.get_object().value_unsafe(), depth, max_depth, out);
    case dom::element_type::ARRAY: {
      out.kind = Kind::array;
      dom::array array = element.get_array().value_unsafe();
      out.items.reserve(array.size());  // size() saturates; emplace_back stays exact
      for (dom::element item : array) {
        Status status = build(item, depth, max_depth, out.items.emplace_back());
        if (!status) return status;
      }
      return ok_status();
    }
    case dom::element_type::INT64:
      out.kind = Kind::integer;
      out.integer = element.get_int64().value_unsafe();
      break;
    case dom::element_type::UINT64:  // above INT64_MAX: never an amount, kept as a number
      out.kind = Kind::number;
      out.number = static_cast<double>(element.get_uint64().value_unsafe());
      break;
    case dom::element_type::DOUBLE:
      out.kind = Kind::number;
      out.number = element.get_double().value_unsafe();
      break;
    case dom::element_type::STRING:
      out.kind = Kind::string;
      out.string = element.get_string().value_unsafe();
      return check_no_nul(out.string, "a string value");
    case dom::element_type::BOOL:
      out.kind = Kind::boolean;
      out.boolean = element.get_bool().value_unsafe();
      break;
    case dom::element_type::NULL_VALUE:
      out.kind = Kind::null;
      break;
  }
  return ok_status();
}

// simdjson 3.0.1 refuses integer tokens beyond uint64 (NUMBER_ERROR). The contract makes
// them Kind::number, so on that error the document is parsed once more with ".0" appended
// to every pure-integer token of 20+ digits outside strings: a valid integer token stays
// valid and becomes a decimal, an invalid one stays invalid. Only this rare path copies.
std::string widen_big_integers(std::string_view text) {
  constexpr std::string_view kDigits = "0123456789";
  std::string out;
  out.reserve(text.size() + 64);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string || (c != '-' && kDigits.find(c) == std::string_view::npos)) {
      out += c;
      if (in_string && c == '\\' && i + 1 < text.size())
        out += text[++i];  // skips \"
      else if (c == '"')
        in_string = !in_string;
      continue;
    }
    const size_t end = std::min(text.find_first_not_of("0123456789+-.eE", i), text.size());
    const std::string_view token = text.substr(i, end - i);
    const std::string_view digits = token.substr(c == '-' ? 1 : 0);
    out += token;
    if (digits.size() >= 20 && digits.find_first_not_of(kDigits) == std::string_view::npos) {
      out += ".0";
    }
    i = end - 1;
  }
  return out;
}

Error parse_error(simdjson::error_code code, size_t max_depth) {
  switch (code) {
    case simdjson::UTF8_ERROR:
      return invalid_json("JSON text is not valid UTF-8");
    case simdjson::DEPTH_ERROR:
      return too_deep(max_depth);
    case simdjson::EMPTY:
      return invalid_json("empty JSON document");
    case simdjson::MEMALLOC:
      return make_error(Errc::server_busy, "out of memory parsing JSON");
    default:
      return invalid_json(simdjson::error_message(code));
  }
}

// Integer tokens only: 100.0 and 1e2 are Kind::number and refused like "100".
Result<std::optional<int64_t>> get_integer_in(const Value& object, std::string_view key, int64_t low,
                                              const std::string& message) {
  const Value* value = object.find(key);
  if (value == nullptr || value->kind == Value::Kind::null) return std::optional<int64_t>{};
  if (value->kind != Value::Kind::integer || value->integer < low || value->integer > kMaxSafeInteger) {
    return make_error(Errc::invalid_parameter, message);
  }
  return std::optional<int64_t>{value->integer};
}

void close_container(std::string& out, std::vector<bool>& first, char bracket) {
  out += bracket;
  if (!first.empty()) first.pop_back();  // a stray end (a caller's bug) must not underflow
}

// Shortest round-trip form, kept a number token (".0" added) so it parses back as
// Kind::number; JSON has no NaN or infinity, so those become null.
std::string format_double(double number) {
  if (!std::isfinite(number)) return "null";
  char buf[32];
  std::string text(buf, std::to_chars(buf, buf + sizeof buf, number).ptr);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

void write_value(Writer& writer, const Value& value) {
  using Kind = Value::Kind;
  switch (value.kind) {
    case Kind::null:
      writer.null();
      return;
    case Kind::boolean:
      writer.boolean(value.boolean);
      return;
    case Kind::integer:
      writer.integer(value.integer);
      return;
    case Kind::number:
      writer.raw(format_double(value.number));
      return;
    case Kind::string:
      writer.string(value.string);
      return;
    case Kind::array:
      writer.begin_array();
      for (const Value& item : value.items) write_value(writer, item);
      writer.end_array();
      return;
    case Kind::object:
      writer.begin_object();
      for (const auto& [name, member] : value.members) write_value(writer.key(name), member);
      writer.end_object();
      return;
  }
}

void append_escape(std::string& out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (byte) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    default:
      out += {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xF]};
  }
}

}  // namespace

size_t valid_sequence_length(std::string_view rest) {
  const auto lead = static_cast<unsigned char>(rest[0]);
  const size_t length = lead < 0x80   ? 1
                        : lead < 0xC2 ? 0
                        : lead < 0xE0 ? 2
                        : lead < 0xF0 ? 3
                        : lead < 0xF5 ? 4
                                      : 0;
  if (length == 0 || length > rest.size()) return 0;
  return simdjson::validate_utf8(rest.data(), length) ? length : 0;
}

const Value* Value::find(std::string_view key) const {
  for (const auto& [name, value] : members) {
    if (name == key) return &value;
  }
  return nullptr;
}

Result<Value> parse(std::string_view text, const ParseLimits& limits) {
  if (text.empty()) return invalid_json("empty JSON document");  // data() may be null
  // One parser per thread keeps its buffers warm; it is never shared between threads.
  thread_local dom::parser parser;
  const size_t max_depth = std::min(limits.max_depth, kDepthCeiling);
  // simdjson's max_depth counts the document itself: max_depth + 1 admits max_depth
  // nested non-empty containers; build() applies the exact rule.
  if (parser.max_depth() != max_depth + 1) {
    size_t capacity = std::max({parser.capacity(), text.size(), size_t{4096}});
    if (parser.allocate(capacity, max_depth + 1) != simdjson::SUCCESS) {
      return make_error(Errc::server_busy, "out of memory parsing JSON");
    }
  }
  // parse(ptr, len) with realloc_if_needed copies into the parser's padded buffer, so
  // `text` needs no SIMDJSON_PADDING of its own.
  auto root = parser.parse(text.data(), text.size());
  if (root.error() == simdjson::NUMBER_ERROR) {
    const std::string widened = widen_big_integers(text);  // copied by parse: may die after
    root = parser.parse(widened.data(), widened.size());
  }
  if (root.error()) return parse_error(root.error(), max_depth);
  try {
    Value value;
    if (Status status = build(root.value_unsafe(), 0, max_depth, value); !status) {
      return status.error();
    }
    return value;
  } catch (const std::bad_alloc&) {
    return make_error(Errc::server_busy, "out of memory parsing JSON");
  }
}

Result<std::optional<std::string>> get_string(const Value& object, std::string_view key, size_t max_bytes) {
  const Value* value = object.find(key);
  if (value == nullptr || value->kind == Value::Kind::null) return std::optional<std::string>{};
  if (value->kind != Value::Kind::string) {
    return make_error(Errc::invalid_parameter, "field " + std::string(key) + ": must be a string");
  }
  if (value->string.size() > max_bytes) {
    return make_error(Errc::invalid_parameter,
                      "field " + std::string(key) + ": at most " + std::to_string(max_bytes) + " bytes");
  }
  return std::optional<std::string>{value->string};
}

Result<std::optional<int64_t>> get_amount(const Value& object, std::string_view key) {
  return get_integer_in(object, key, 1,
                        std::string(key) + " must be an integer number of minor units in [1, 2^53-1]");
}

Result<std::optional<int64_t>> get_count(const Value& object, std::string_view key) {
  return get_integer_in(object, key, 0, std::string(key) + " must be an integer in [0, 2^53-1]");
}

std::string serialize(const Value& value) {
  Writer writer;
  write_value(writer, value);
  return writer.take();
}

// Invalid UTF-8 (possible in header values or provider data, never in parsed JSON) is
// replaced by U+FFFD per bad byte, so the output is always valid JSON.
void append_quoted(std::string& out, std::string_view text) {
  const bool valid = simdjson::validate_utf8(text.data(), text.size());
  out += '"';
  for (size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x80 && !valid) {
      const size_t length = valid_sequence_length(text.substr(i));
      if (length == 0) {
        out += "\xEF\xBF\xBD";
      } else {
        out += text.substr(i, length);
        i += length - 1;
      }
    } else if (byte >= 0x20 && byte != '"' && byte != '\\') {
      out += static_cast<char>(byte);
    } else {
      append_escape(out, byte);
    }
  }
  out += '"';
}

void Writer::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
}

Writer& Writer::begin_object() {
  raw("{");
  first_.push_back(true);
  return *this;
}
Writer& Writer::begin_array() {
  raw("[");
  first_.push_back(true);
  return *this;
}
Writer& Writer::end_object() {
  close_container(out_, first_, '}');
  return *this;
}
Writer& Writer::end_array() {
  close_container(out_, first_, ']');
  return *this;
}

Writer& Writer::key(std::string_view name) {
  before_value();
  append_quoted(out_, name);
  out_ += ':';
  after_key_ = true;
  return *this;
}

Writer& Writer::string(std::string_view text) {
  before_value();
  append_quoted(out_, text);
  return *this;
}

Writer& Writer::integer(int64_t number) {
  char buf[24];
  return raw(std::string_view(buf, std::to_chars(buf, buf + sizeof buf, number).ptr));
}

Writer& Writer::boolean(bool flag) { return raw(flag ? "true" : "false"); }
Writer& Writer::null() { return raw("null"); }

Writer& Writer::raw(std::string_view json) {
  before_value();
  out_ += json;
  return *this;
}

}  // namespace unipay::json
