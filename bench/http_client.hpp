// A keep-alive HTTP/1.1 client pool to one loopback endpoint (Boost.Beast behind a pimpl).
// One request per connection at a time (no pipelining): a long poll holds its connection,
// so the pool grows to the number of requests in flight, up to max_connections; beyond
// that, requests wait in a FIFO. When the kernel runs out of local ports for one source
// address (EADDRNOTAVAIL), new connections move on to 127.0.0.2, .3, ... (IPv4 targets).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/loop.hpp"

namespace unipay::bench {

struct Endpoint {
  std::string host;  // an IP literal (127.x.x.x or ::1)
  uint16_t port = 0;
};

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{15000};  // write + whole answer
  bool retried = false;                      // set by the pool (one retry on a stale keep-alive)
};

// A POST of a JSON body (Content-Type: application/json).
ClientRequest json_post(std::string target, std::string body);

struct ClientResponse {
  int status = 0;     // 0: no answer, see error
  std::string error;  // "" or a short kind: connect, timeout, eof, reset, io, parse, emfile
  std::string body;
  std::string signature;    // the X-Unipay-Signature header, if any
  std::string retry_after;  // the Retry-After header, if any (bench/retry_after.hpp reads it)
  Clock::time_point sent_at;
  Clock::time_point done_at;
  Clock::duration latency() const { return done_at - sent_at; }
};

using ResponseHandler = std::function<void(ClientResponse)>;

struct ClientOptions {
  size_t max_connections = 1024;
  int source_index = 0;  // k > 0: connect from 127.0.0.(k + 1) (IPv4 targets)
};

struct ClientCounters {
  size_t open = 0;  // connections open (idle + busy + connecting)
  size_t idle = 0;
  size_t queued = 0;         // requests waiting for a connection
  int source_addresses = 1;  // 127.0.0.x addresses in use for new connections
  uint64_t connects = 0;
  uint64_t retries = 0;
};

class HttpClient {
 public:
  HttpClient(Loop& loop, Endpoint target, ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends on the loop thread; `done` runs there, exactly once.
  void send(ClientRequest request, ResponseHandler done);
  ClientCounters counters() const;
  void close_idle();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace unipay::bench
