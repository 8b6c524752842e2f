// Internal to the HTTP server: what the listener (net/http_server.cpp) and the sessions
// (net/http_session.cpp) share. Beast-free like the public headers, so the two files
// stay separate translation units; a connection passes between them as its descriptor.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "net/http_server.hpp"

namespace unipay::http::detail {

class Session;

struct ServerShared {
  ServerOptions options;
  RequestHandler handler;
  std::atomic<size_t> open{0};  // sessions alive: the max_connections check
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> next_request{0};
  uint64_t request_id_seed = 0;  // random per server, so ids differ across restarts and nodes
  std::atomic<bool> stopping{false};
  // Every live session, so stop() can close idle keep-alive connections.
  std::mutex sessions_mutex;
  std::list<std::weak_ptr<Session>> sessions;
};

// {"error":{"code":..,"ret":..,"message":..}} with that status (DESIGN.md §3).
Response error_response(int status, std::string_view code, int ret, const std::string& message);
// False for names or values that would break the header block (CR, LF, ':' in a name).
bool valid_header(const Header& header);
// 16 lowercase hex digits, distinct for distinct n.
std::string make_request_id(uint64_t n);

// Starts a session on an accepted connection given as its native descriptor; the session
// owns (and eventually closes) it. Never throws.
void start_session(boost::asio::io_context& io_context, int fd, bool ipv6,
                   const std::shared_ptr<ServerShared>& shared);

// Closes every session's socket. Only while no thread runs the io_context.
void close_sessions(ServerShared& shared);

}  // namespace unipay::http::detail
