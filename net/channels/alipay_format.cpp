#include "net/channels/alipay_format.hpp"

#include <algorithm>
#include <vector>

#include "net/channels/provider_time.hpp"

namespace unipay::channels::alipay {
namespace {

size_t skip_space(std::string_view text, size_t i) {
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  return i;
}

// `i` at an opening quote → the index just past the closing quote.
size_t skip_string(std::string_view text, size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return text.size();
}

// `i` at the start of any JSON value → the index just past it.
size_t skip_value(std::string_view text, size_t i) {
  if (i < text.size() && text[i] == '"') return skip_string(text, i);
  int depth = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      i = skip_string(text, i) - 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (depth == 0) return i;  // end of the enclosing object: a scalar ended here
      if (--depth == 0) return i + 1;
    } else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
      return i;
    }
  }
  return i;
}

}  // namespace

std::string sign_content(const form::Fields& fields, bool keep_sign_type) {
  std::vector<const std::pair<std::string, std::string>*> kept;
  for (const auto& field : fields) {
    if (field.second.empty() || field.first == "sign") continue;
    if (field.first == "sign_type" && !keep_sign_type) continue;
    kept.push_back(&field);
  }
  std::sort(kept.begin(), kept.end(), [](auto* a, auto* b) { return a->first < b->first; });
  std::string out;
  for (const auto* field : kept) {
    if (!out.empty()) out += '&';
    out += field->first;
    out += '=';
    out += field->second;
  }
  return out;
}

std::string beijing_time(int64_t unix_s) { return format_beijing_time(unix_s, "%Y-%m-%d %H:%M:%S"); }

std::string response_key(std::string_view method) {
  std::string key(method);
  std::replace(key.begin(), key.end(), '.', '_');
  return key + "_response";
}

std::optional<std::string_view> raw_member(std::string_view object_text, std::string_view key) {
  size_t i = skip_space(object_text, 0);
  if (i >= object_text.size() || object_text[i] != '{') return std::nullopt;
  i = skip_space(object_text, i + 1);
  while (i < object_text.size() && object_text[i] == '"') {
    const size_t name_end = skip_string(object_text, i);
    // Keys are compared as raw text: Alipay's member names contain no escapes.
    const std::string_view name = object_text.substr(i + 1, name_end - i - 2);
    i = skip_space(object_text, name_end);
    if (i >= object_text.size() || object_text[i] != ':') return std::nullopt;
    const size_t value_start = skip_space(object_text, i + 1);
    const size_t value_end = skip_value(object_text, value_start);
    if (name == key) return object_text.substr(value_start, value_end - value_start);
    i = skip_space(object_text, value_end);
    if (i < object_text.size() && object_text[i] == ',') i = skip_space(object_text, i + 1);
  }
  return std::nullopt;
}

}  // namespace unipay::channels::alipay
