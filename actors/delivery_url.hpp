// Delivery URLs (DESIGN.md §6): their parts, and the one rule about where unipay may deliver.
// The rule is applied twice with the same classifier: when an app is created or changed
// (to the URL's host, read the way the resolver will read it) and at delivery (to every
// address the host resolved to). Pure: no DNS, no Beast.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace unipay {

// The parts of a delivery URL.
struct ParsedUrl {
  std::string scheme;           // "http" or "https"
  std::string host;             // without brackets for IPv6
  std::string port;             // explicit or the scheme's default
  std::string path_with_query;  // "/" when empty
};
Result<ParsedUrl> parse_url(const std::string& url);

// What an address (or a name that can only mean such addresses) reaches. Everything but
// public_address is refused unless delivery.allow_private is set.
enum class AddressClass {
  public_address,
  loopback,         // 127/8, ::1, localhost
  private_network,  // RFC 1918, carrier-grade NAT, fc00::/7, *.internal
  link_local,       // 169.254/16, fe80::/10, *.local
  metadata,         // cloud metadata: 169.254.169.254, fd00:ec2::254, metadata.google.internal
  unspecified,      // 0/8 ("this network": 0.0.0.0 reaches the local host), ::
  reserved,         // multicast, broadcast, benchmarking, IETF and future use
};
std::string_view describe(AddressClass address_class);  // "a loopback address", ...

// An IPv4 literal read exactly as inet_aton (and so getaddrinfo) reads it: one to four
// dot-separated parts, each decimal, octal (leading 0) or hex (0x), the last part filling
// the remaining bytes: "127.1", "0x7f000001", "2130706433", "0177.0.0.1" and "0" are all
// addresses. nullopt when `text` is not such a literal (then the resolver asks DNS).
std::optional<uint32_t> parse_ipv4_literal(std::string_view text);

// The class of a numeric address as the resolver returns it: dotted IPv4 or IPv6 (an
// optional %scope is ignored). nullopt when `address` is not numeric.
std::optional<AddressClass> classify_address(std::string_view address);

// A URL host read the way the resolver will read it: IPv4 literals in every form above,
// IPv6 literals (v4-mapped ones judged by their IPv4 address), names case-insensitively
// with one trailing dot ignored. Names that can only reach refused addresses (localhost,
// *.localhost, *.local, *.internal, ...) get that class; any other name is public here and
// is judged after DNS. invalid_parameter for a host no resolver would accept as written
// (an empty label, a numeric last label that is no IPv4 literal, as in "127.0.0.1.").
struct HostReading {
  std::string address;  // the numeric address a literal denotes; empty for a name
  AddressClass address_class = AddressClass::public_address;
};
Result<HostReading> read_host(std::string_view host);

// The check of an app's delivery URL, at creation and update (admin API and CLI alike):
// parse_url, read_host, and unless allow_private, refusal of every class but public.
// Errors are invalid_parameter with a message that names the host and what it reaches.
Status check_delivery_url(const std::string& url, bool allow_private);

// After DNS: true unless `address` (numeric, as resolved) is public. Non-numeric: true.
bool is_private_address(const std::string& address);

}  // namespace unipay
