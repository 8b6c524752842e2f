// Delivery URL parsing and the private-address rule (DESIGN.md §6). Pure: no Beast, no
// DNS; the transport resolves the host and asks is_private_address about every result.
#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "actors/delivery_transport.hpp"

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

bool private_v4(uint32_t a) {
  return in_v4(a, v4(0, 0, 0, 0), 8)          // "this network", unspecified
         || in_v4(a, v4(10, 0, 0, 0), 8)      // RFC 1918
         || in_v4(a, v4(100, 64, 0, 0), 10)   // carrier-grade NAT: not the public internet
         || in_v4(a, v4(127, 0, 0, 0), 8)     // loopback
         || in_v4(a, v4(169, 254, 0, 0), 16)  // link-local, cloud metadata 169.254.169.254
         || in_v4(a, v4(172, 16, 0, 0), 12)   // RFC 1918
         || in_v4(a, v4(192, 0, 0, 0), 24)    // IETF protocol assignments (some metadata services)
         || in_v4(a, v4(192, 168, 0, 0), 16)  // RFC 1918
         || in_v4(a, v4(198, 18, 0, 0), 15)   // benchmarking
         || in_v4(a, v4(224, 0, 0, 0), 4)     // multicast
         || in_v4(a, v4(240, 0, 0, 0), 4);    // reserved and broadcast
}

uint32_t v4_at(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

bool private_v6(const std::array<uint8_t, 16>& b) {
  static constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr std::array<uint8_t, 12> kNat64Prefix = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  static constexpr std::array<uint8_t, 12> kZeroPrefix = {};
  // Addresses that carry an IPv4 address reach that address: judge the embedded one.
  // ::/96 also covers :: (unspecified) and ::1 (loopback), which map to 0.0.0.x.
  if (std::memcmp(b.data(), kMappedPrefix.data(), 12) == 0 ||
      std::memcmp(b.data(), kNat64Prefix.data(), 12) == 0 ||
      std::memcmp(b.data(), kZeroPrefix.data(), 12) == 0) {
    return private_v4(v4_at(b.data() + 12));
  }
  if (b[0] == 0x20 && b[1] == 0x02) return private_v4(v4_at(b.data() + 2));  // 6to4
  return (b[0] & 0xfe) == 0xfc                       // unique local fc00::/7 (fd00:ec2::254)
         || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)  // link-local fe80::/10
         || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)  // old site-local fec0::/10
         || b[0] == 0xff;                            // multicast
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

bool is_private_address(const std::string& address) {
  // A scope ("fe80::1%eth0") names an interface; the address itself is what is judged.
  const std::string bare = address.substr(0, address.find('%'));
  in_addr a4{};
  if (inet_pton(AF_INET, bare.c_str(), &a4) == 1) {
    return private_v4(ntohl(a4.s_addr));
  }
  std::array<uint8_t, 16> a6{};
  if (inet_pton(AF_INET6, bare.c_str(), a6.data()) == 1) return private_v6(a6);
  return true;  // not a numeric address: refuse rather than guess
}

}  // namespace unipay
