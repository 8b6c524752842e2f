// How delivery actors reach game servers. Implemented over Boost.Beast in net/http_client;
// actors/ sees only this interface, so it never includes Beast.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "config/result.hpp"

namespace unipay {

struct OutboundRequest {
  std::string url;  // http://host[:port]/path?query  (https:// too)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;                          // sent as application/json with POST
  std::chrono::milliseconds timeout{10000};  // the whole call: resolve, connect, write, read
};

struct OutboundResponse {
  int status = 0;
  std::string body;  // truncated to 4 KiB (kept for last_error only)
};

class DeliveryTransport {
 public:
  virtual ~DeliveryTransport() = default;
  // Never blocks the caller; `done` runs once on an io thread. Network failures,
  // timeouts and refused addresses are errors (Errc::server_busy with a message).
  virtual void post(OutboundRequest request, std::function<void(Result<OutboundResponse>)> done) = 0;
};

// The parts of a delivery URL. Pure, tested.
struct ParsedUrl {
  std::string scheme;           // "http" or "https"
  std::string host;             // without brackets for IPv6
  std::string port;             // explicit or the scheme's default
  std::string path_with_query;  // "/" when empty
};
Result<ParsedUrl> parse_url(const std::string& url);

// Refuses loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10),
// unspecified and metadata (169.254.169.254, fd00:ec2::254) addresses. `address` is a
// numeric IPv4 or IPv6 address as resolved.
bool is_private_address(const std::string& address);

}  // namespace unipay
