// A minimal keep-alive HTTP/1.1 server (Boost.Beast behind a pimpl) on its own io threads.
// Two users: bench/baseline_http (the bare "200 OK" speed of this machine) and the game
// server simulator inside unipay-bench. The handler runs on an io thread and must be quick.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace unipay::bench {

struct MiniRequest {
  std::string_view method;
  std::string_view target;
  std::string_view body;
};

struct MiniResponse {
  int status = 200;
  std::string body = R"({"ok":true})";
  bool close = false;  // close the connection after this answer (a server going away)
};

using MiniHandler = std::function<MiniResponse(const MiniRequest&)>;

class MiniServer {
 public:
  // Listens on host:port (port 0: any free port) with `threads` io threads.
  static std::unique_ptr<MiniServer> start(const std::string& host, uint16_t port, int threads,
                                           MiniHandler handler, std::string& error);
  ~MiniServer();
  MiniServer(const MiniServer&) = delete;
  MiniServer& operator=(const MiniServer&) = delete;

  uint16_t port() const;
  uint64_t requests() const;
  void stop();  // idempotent; joins the io threads

  struct Impl;

 private:
  MiniServer() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unipay::bench
