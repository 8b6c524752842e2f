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
  std::string url;                                           // http://host[:port]/path?query  (https:// too)
  std::vector<std::pair<std::string, std::string>> headers;  // a content-type here replaces the default
  std::string body;                          // sent as application/json unless a header says otherwise
  std::chrono::milliseconds timeout{10000};  // the whole call: resolve, connect, write, read
  std::string method = "POST";               // "GET", "POST", ...
  size_t kept_body_bytes = 4096;             // of the answer's body; the rest is dropped
  // false (delivery): an answer longer than the client's max_response_body_bytes still gives
  // its status; true (provider calls, whose body is the point): it is an error.
  bool whole_body = false;
};

struct OutboundResponse {
  int status = 0;
  std::string body;  // at most the request's kept_body_bytes (delivery: 4 KiB, for last_error)
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
};

class DeliveryTransport {
 public:
  virtual ~DeliveryTransport() = default;
  // Never blocks the caller; `done` runs once on an io thread. Network failures,
  // timeouts and refused addresses are errors (Errc::server_busy with a message).
  // A transport may keep connections alive and reuse them (net/http_client.hpp).
  virtual void post(OutboundRequest request, std::function<void(Result<OutboundResponse>)> done) = 0;
};

// Refuses loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10),
// unspecified and metadata (169.254.169.254, fd00:ec2::254) addresses. `address` is a
// numeric IPv4 or IPv6 address as resolved.
bool is_private_address(const std::string& address);

}  // namespace unipay
