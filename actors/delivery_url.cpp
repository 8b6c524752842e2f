// Delivery URL parsing and the private-address rule (DESIGN.md §6). Pure: no Beast, no
// DNS; the transport resolves the host and asks is_private_address about every result.
#include "actors/delivery_url.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>
#include <utility>

namespace unipay {

namespace {

constexpr size_t kMaxUrlBytes = 4096;

Error bad_url(const std::string& why) { return make_error(Errc::invalid_parameter, "delivery URL: " + why); }

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

// Digits only, 1..65535.
bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  uint32_t value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

// Splits "host", "host:port", "[v6]" or "[v6]:port"; the port stays empty when absent.
Status split_authority(std::string_view authority, std::string& host, std::string& port) {
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad_url("unclosed '[' in host");
    host = std::string(authority.substr(1, close - 1));
    in6_addr probe{};
    if (inet_pton(AF_INET6, host.c_str(), &probe) != 1) return bad_url("bad IPv6 address");
    rest = authority.substr(close + 1);
  } else {
    const size_t colon = authority.find(':');
    host = std::string(authority.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
    for (char c : host) {
      if (!is_host_char(c)) return bad_url("bad character in host");
    }
  }
  if (host.empty()) return bad_url("missing host");
  if (!rest.empty()) {
    if (rest.front() != ':' || !valid_port(rest.substr(1))) return bad_url("bad port");
    port = std::string(rest.substr(1));
  }
  return ok_status();
}

bool in_v4(uint32_t address, uint32_t network, int prefix) {
  const uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return (address & mask) == (network & mask);
}

constexpr uint32_t v4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

AddressClass classify_v4(uint32_t a) {
  if (in_v4(a, v4(0, 0, 0, 0), 8)) return AddressClass::unspecified;  // "this network"
  if (in_v4(a, v4(127, 0, 0, 0), 8)) return AddressClass::loopback;
  if (a == v4(169, 254, 169, 254)) return AddressClass::metadata;  // AWS, GCP, Azure, ...
  if (in_v4(a, v4(169, 254, 0, 0), 16)) return AddressClass::link_local;
  if (in_v4(a, v4(10, 0, 0, 0), 8)           // RFC 1918
      || in_v4(a, v4(172, 16, 0, 0), 12)     // RFC 1918
      || in_v4(a, v4(192, 168, 0, 0), 16)    // RFC 1918
      || in_v4(a, v4(100, 64, 0, 0), 10)) {  // carrier-grade NAT (Alibaba's metadata too)
    return AddressClass::private_network;
  }
  if (in_v4(a, v4(192, 0, 0, 0), 24)       // IETF protocol assignments (some metadata services)
      || in_v4(a, v4(198, 18, 0, 0), 15)   // benchmarking
      || in_v4(a, v4(224, 0, 0, 0), 4)     // multicast
      || in_v4(a, v4(240, 0, 0, 0), 4)) {  // future use and broadcast
    return AddressClass::reserved;
  }
  return AddressClass::public_address;
}

uint32_t v4_at(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

AddressClass classify_v6(const std::array<uint8_t, 16>& b) {
  static constexpr std::array<uint8_t, 16> kLoopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static constexpr std::array<uint8_t, 16> kEc2Metadata = {0xfd, 0, 0x0e, 0xc2, 0, 0, 0,    0,
                                                           0,    0, 0,    0,    0, 0, 0x02, 0x54};
  static constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr std::array<uint8_t, 12> kNat64Prefix = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  static constexpr std::array<uint8_t, 12> kZeroPrefix = {};
  if (b == kLoopback) return AddressClass::loopback;
  if (b == kEc2Metadata) return AddressClass::metadata;
  // Addresses that carry an IPv4 address reach that address: judge the embedded one.
  // ::/96 also covers :: (unspecified), which maps to 0.0.0.0.
  if (std::memcmp(b.data(), kMappedPrefix.data(), 12) == 0 ||
      std::memcmp(b.data(), kNat64Prefix.data(), 12) == 0 ||
      std::memcmp(b.data(), kZeroPrefix.data(), 12) == 0) {
    return classify_v4(v4_at(b.data() + 12));
  }
  if (b[0] == 0x20 && b[1] == 0x02) return classify_v4(v4_at(b.data() + 2));        // 6to4
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::private_network;                  // unique local fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::link_local;       // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::private_network;  // old site-local
  if (b[0] == 0xff) return AddressClass::reserved;                                  // multicast
  return AddressClass::public_address;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One part of an inet_aton literal from `at` on, as strtoul(..., 0) reads it: "0x" and a
// hex digit start hex, a leading "0" octal, else decimal. Stops at the first character
// that is no digit of the base. nullopt above 2^32 - 1 (glibc refuses those).
std::optional<uint64_t> read_part(std::string_view text, size_t& at) {
  uint64_t base = 10;
  if (text[at] == '0') {
    base = 8;
    if (at + 2 < text.size() && (text[at + 1] == 'x' || text[at + 1] == 'X') &&
        hex_value(text[at + 2]) >= 0) {
      base = 16;
      at += 2;
    }
  }
  uint64_t value = 0;
  for (; at < text.size(); ++at) {
    const int digit = hex_value(text[at]);
    if (digit < 0 || static_cast<uint64_t>(digit) >= base) break;
    value = value * base + static_cast<uint64_t>(digit);
    if (value > 0xffffffffu) return std::nullopt;
  }
  return value;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return out;
}

bool ends_with_label(std::string_view name, std::string_view suffix) {
  return name == suffix || (name.size() > suffix.size() && name.ends_with(suffix) &&
                            name[name.size() - suffix.size() - 1] == '.');
}

// Names whose every address is a refused one, wherever they are resolved: RFC 6761
// localhost, the loopback names of common /etc/hosts files, mDNS (.local, link-local),
// names reserved for private use (.internal, .home.arpa, .localdomain), and the metadata
// service's own name.
std::optional<AddressClass> special_name_class(std::string_view name) {
  if (name == "metadata.google.internal") return AddressClass::metadata;
  for (std::string_view loopback : {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}) {
    if (ends_with_label(name, loopback)) return AddressClass::loopback;
  }
  if (ends_with_label(name, "local")) return AddressClass::link_local;
  for (std::string_view suffix : {"internal", "home.arpa", "localdomain"}) {
    if (ends_with_label(name, suffix)) return AddressClass::private_network;
  }
  return std::nullopt;
}

// 1..63 bytes per label, no empty label, at most 253 bytes in all.
bool valid_labels(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    const size_t length = dot - start;
    if (length == 0 || length > 63) return false;
    start = dot + 1;
  }
  return true;
}

std::string v4_text(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

}  // namespace

Result<ParsedUrl> parse_url(const std::string& url) {
  if (url.size() > kMaxUrlBytes) return bad_url("longer than 4096 bytes");
  for (unsigned char c : url) {
    // Spaces and control characters would end up in the request line.
    if (c <= 0x20 || c == 0x7f) return bad_url("space or control character");
  }
  const size_t sep = url.find("://");
  if (sep == std::string::npos) return bad_url("missing scheme");
  ParsedUrl out;
  for (char c : url.substr(0, sep))
    out.scheme.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  if (out.scheme != "http" && out.scheme != "https") return bad_url("scheme must be http or https");
  const std::string_view rest = std::string_view(url).substr(sep + 3);
  const size_t path_at = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, path_at);
  // user:password@host hides the real host from a quick read and leaks credentials.
  if (authority.find('@') != std::string_view::npos) return bad_url("credentials in URL");
  if (Status split = split_authority(authority, out.host, out.port); !split) return split.error();
  if (out.port.empty()) out.port = out.scheme == "https" ? "443" : "80";
  std::string_view path = path_at == std::string_view::npos ? std::string_view{} : rest.substr(path_at);
  path = path.substr(0, path.find('#'));  // fragments are never sent
  if (path.empty() || path.front() != '/')
    out.path_with_query.push_back('/');  // not `= "/"`: g++ 12 -Wrestrict
  out.path_with_query += path;
  return out;
}

std::string_view describe(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::public_address:
      return "a public address";
    case AddressClass::loopback:
      return "a loopback address";
    case AddressClass::private_network:
      return "a private address";
    case AddressClass::link_local:
      return "a link-local address";
    case AddressClass::metadata:
      return "a cloud metadata address";
    case AddressClass::unspecified:
      return "an unspecified address (this host)";
    case AddressClass::reserved:
      return "a reserved or multicast address";
  }
  return "an unknown kind of address";
}

std::optional<uint32_t> parse_ipv4_literal(std::string_view text) {
  static constexpr std::array<uint64_t, 4> kLastPartMax = {0xffffffffu, 0xffffffu, 0xffffu, 0xffu};
  std::array<uint64_t, 4> parts{};
  size_t count = 0;
  size_t at = 0;
  while (true) {
    if (count == parts.size() || at >= text.size() || !is_digit(text[at])) return std::nullopt;
    auto part = read_part(text, at);
    if (!part) return std::nullopt;
    parts[count++] = *part;
    if (at == text.size()) break;
    if (text[at] != '.') return std::nullopt;  // a character no part of this base can hold
    ++at;
  }
  uint32_t address = 0;
  for (size_t i = 0; i + 1 < count; ++i) {
    if (parts[i] > 0xff) return std::nullopt;
    address |= static_cast<uint32_t>(parts[i]) << (24 - 8 * i);
  }
  if (parts[count - 1] > kLastPartMax[count - 1]) return std::nullopt;
  return address | static_cast<uint32_t>(parts[count - 1]);
}

std::optional<AddressClass> classify_address(std::string_view address) {
  // A scope ("fe80::1%eth0") names an interface; the address itself is what is judged.
  const std::string bare(address.substr(0, address.find('%')));
  in_addr a4{};
  if (inet_pton(AF_INET, bare.c_str(), &a4) == 1) return classify_v4(ntohl(a4.s_addr));
  std::array<uint8_t, 16> a6{};
  if (inet_pton(AF_INET6, bare.c_str(), a6.data()) == 1) return classify_v6(a6);
  return std::nullopt;
}

Result<HostReading> read_host(std::string_view host) {
  const std::string lower = lowercase(host);
  if (lower.find(':') != std::string::npos) {  // only bracketed IPv6 literals get here
    std::array<uint8_t, 16> a6{};
    if (inet_pton(AF_INET6, lower.c_str(), a6.data()) != 1) return bad_url("bad IPv6 address");
    return HostReading{lower, classify_v6(a6)};
  }
  if (auto a4 = parse_ipv4_literal(lower)) return HostReading{v4_text(*a4), classify_v4(*a4)};
  // The resolver looks any other host up as a name; "name." is the same name, fully qualified.
  std::string_view name = lower;
  if (name.ends_with('.')) name.remove_suffix(1);
  if (!valid_labels(name)) return bad_url("bad host name \"" + std::string(host) + "\"");
  // No top-level domain starts with a digit: such a host is a mistyped address
  // ("127.0.0.1.", "1.2.3.999"), which would never resolve.
  const size_t last_dot = name.rfind('.');
  if (is_digit(name[last_dot == std::string_view::npos ? 0 : last_dot + 1]))
    return bad_url("host \"" + std::string(host) + "\" is neither an IPv4 address nor a name");
  return HostReading{"", special_name_class(name).value_or(AddressClass::public_address)};
}

Status check_delivery_url(const std::string& url, bool allow_private) {
  auto parsed = parse_url(url);
  if (!parsed) return parsed.error();
  auto host = read_host(parsed->host);
  if (!host) return host.error();
  if (allow_private || host->address_class == AddressClass::public_address) return ok_status();
  std::string what = "host \"" + parsed->host + "\" is ";
  if (!host->address.empty() && host->address != parsed->host) what += host->address + ", ";
  return bad_url(what + std::string(describe(host->address_class)) +
                 "; such hosts need delivery.allow_private (--allow-private-delivery)");
}

bool is_private_address(const std::string& address) {
  // Not a numeric address: refuse rather than guess.
  return classify_address(address).value_or(AddressClass::reserved) != AddressClass::public_address;
}

}  // namespace unipay
