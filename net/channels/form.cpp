#include "net/channels/form.hpp"

#include "net/http_types.hpp"

namespace unipay::channels::form {
namespace {

Error invalid(std::string message) { return make_error(Errc::invalid_parameter, std::move(message)); }

bool unreserved(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-_.!~*'()").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

Result<Fields> parse(std::string_view body, size_t max_fields) {
  Fields fields;
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view part = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (amp != std::string_view::npos && body.empty()) return invalid("form body ends with '&'");
    const size_t eq = part.find('=');
    if (part.empty() || eq == std::string_view::npos || eq == 0) {
      return invalid("form field without a name or '=': every field must be name=value");
    }
    if (fields.size() == max_fields)
      return invalid("form body has more than " + std::to_string(max_fields) + " fields");
    std::pair<std::string, std::string> field;
    if (!http::url_decode(part.substr(0, eq), field.first) ||
        !http::url_decode(part.substr(eq + 1), field.second)) {
      return invalid("form body has a malformed %XX escape");
    }
    if (find(fields, field.first)) return invalid("form field " + field.first + " is given twice");
    fields.push_back(std::move(field));
  }
  return fields;
}

std::string encode_component(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string encode(const Fields& fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += '&';
    out += encode_component(key);
    out += '=';
    out += encode_component(value);
  }
  return out;
}

const std::string* find(const Fields& fields, std::string_view key) {
  for (const auto& field : fields) {
    if (field.first == key) return &field.second;
  }
  return nullptr;
}

}  // namespace unipay::channels::form
