// How delivery actors reach game servers. Implemented over Boost.Beast in net/http_client;
// actors/ sees only this interface, so it never includes Beast.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "actors/delivery_url.hpp"
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

}  // namespace unipay
