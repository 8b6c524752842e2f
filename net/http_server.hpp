// The HTTP/1.1 server (Boost.Beast, keep-alive) on a pool of io threads. Sessions do I/O
// only: read one request within the read deadline and the size limits, hand it to the
// RequestHandler, write the answer it gives. Beast and asio stay inside the .cpp files.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "config/result.hpp"
#include "net/http_types.hpp"

namespace boost::asio {
class io_context;
}

namespace unipay::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: pick a free port (see Server::port())
  int io_threads = 1;
  size_t max_body_bytes = 65536;                  // one more byte → 413 payload_too_large
  size_t max_header_bytes = 8192;                 // beyond → 431 header_too_large
  size_t max_connections = 100000;                // beyond: the new connection is closed at once
  std::chrono::milliseconds read_timeout{10000};  // to read one whole request
  std::chrono::milliseconds idle_timeout{60000};  // keep-alive connection with no request
};

struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // over max_connections
  size_t connections_open = 0;
  uint64_t requests = 0;
};

class Server {
 public:
  // Binds and listens (errors: address in use, bad address) and starts the io threads.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options, RequestHandler handler);
  ~Server();  // stop() then join

  uint16_t port() const;  // the bound port
  Post poster();          // posts onto the io threads (see http_types.hpp)
  // The same io threads drive outbound calls (net/http_client).
  boost::asio::io_context& io_context();
  ServerStats stats() const;
  void stop();  // stop accepting, close sessions, join io threads

 private:
  Server() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unipay::http
