#include "net/log_escape.hpp"

#include "net/json.hpp"

namespace unipay::logfmt {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char byte) {
  out += {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xF]};
}

void append_control(std::string& out, unsigned char byte) {
  switch (byte) {
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      append_hex_byte(out, byte);
  }
}

}  // namespace

std::string quote_field(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '"' || byte == '\\') {
      out += {'\\', c};
    } else if (byte >= 0x20 && byte < 0x7F) {
      out += c;
    } else {
      append_control(out, byte);
    }
  }
  out += '"';
  return out;
}

void append_one_line(std::string& out, std::string_view message) {
  for (size_t i = 0; i < message.size(); ++i) {
    const auto byte = static_cast<unsigned char>(message[i]);
    if (byte >= 0x20 && byte < 0x7F) {
      out += static_cast<char>(byte);
    } else if (byte < 0x80) {
      append_control(out, byte);
    } else if (size_t length = json::valid_sequence_length(message.substr(i)); length > 0) {
      out += message.substr(i, length);
      i += length - 1;
    } else {
      append_hex_byte(out, byte);
    }
  }
}

}  // namespace unipay::logfmt
