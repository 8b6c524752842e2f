// DeliveryTransport over Boost.Beast (async, on the server's io threads): one connection
// per call (game servers are many and calls are rare per server), a deadline for the whole
// call, and the private-address rule checked on the resolved addresses.
#pragma once

#include <memory>

#include "actors/delivery_transport.hpp"

namespace boost::asio {
class io_context;
}

namespace unipay::http {

struct ClientOptions {
  bool allow_private_addresses = false;
  size_t max_response_body_bytes = 65536;  // larger answers are cut (the status is what counts)
  size_t max_in_flight = 10000;            // calls beyond this fail at once (server_busy)
};

// Runs on `io_context` (Server::io_context()).
std::unique_ptr<DeliveryTransport> make_http_transport(boost::asio::io_context& io_context,
                                                       const ClientOptions& options);

}  // namespace unipay::http
