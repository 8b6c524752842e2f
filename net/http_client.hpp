// DeliveryTransport over Boost.Beast (async, on the caller's io_context): a deadline for the
// whole call, TLS with certificate and host name verification, the private-address rule
// checked on the resolved addresses, and optional connection reuse. Delivery uses one
// connection per call (game servers are many and calls are rare per server); provider calls
// (net/provider_client.hpp) keep a few connections alive, since they go to a few hosts often.
#pragma once

#include <chrono>
#include <memory>

#include "actors/delivery_transport.hpp"
#include "config/config.hpp"

namespace boost::asio {
class io_context;
}

namespace unipay::http {

struct ClientOptions {
  bool allow_private_addresses = false;
  size_t max_response_body_bytes = 65536;  // larger answers are cut, or refused with whole_body
  size_t max_in_flight = 10000;            // calls beyond this fail at once (server_busy)
  // Kept-alive connections waiting for reuse, across all hosts (0: one connection per call).
  size_t max_idle_connections = 0;
  std::chrono::milliseconds idle_timeout{30000};  // an idle connection older than this is not reused
};

// Runs on `io_context` (Server::io_context()).
std::unique_ptr<DeliveryTransport> make_http_transport(boost::asio::io_context& io_context,
                                                       const ClientOptions& options);

// The delivery transport's options: game servers' connections are kept alive for reuse
// within delivery.keepalive_max_idle and delivery.keepalive_idle_ms.
ClientOptions delivery_client_options(const config::DeliveryConfig& delivery);

}  // namespace unipay::http
