// A blocking loopback HTTP client on plain POSIX sockets for the server tests: it sends
// exact bytes (half requests, oversized headers) and every read gives up after a timeout,
// so a misbehaving server fails a test instead of hanging it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace unipay::http::testing {

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers, lowercased
  std::string body;
  std::string trailers;  // chunked answers: the trailer block after the final chunk, lowercased
};

class RawClient {
 public:
  explicit RawClient(uint16_t port, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000))
      : timeout_(timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) close();
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Closes with a TCP reset instead of a FIN (SO_LINGER 0), as a crashed client's kernel does.
  void reset() {
    if (fd_ < 0) return;
    linger hard{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close();
  }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One response framed by Content-Length (or by EOF without it); nullopt on EOF before a
  // full response, a reset, or the timeout.
  std::optional<RawResponse> read_response() {
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    RawResponse response;
    response.head = pending_.substr(0, end + 2);
    for (char& c : response.head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    pending_.erase(0, end + 4);
    if (response.head.size() < 12) return std::nullopt;
    response.status = std::stoi(response.head.substr(9, 3));
    const int status = response.status;
    if (status / 100 == 1 || status == 204 || status == 304) return response;  // never a body
    const size_t cl = response.head.find("\r\ncontent-length:");
    if (cl == std::string::npos) {
      while (fill()) {
      }
      response.body = std::move(pending_);
      pending_.clear();
      return response;
    }
    const size_t length = std::stoul(response.head.substr(cl + 17));
    while (pending_.size() < length) {
      if (!fill()) return std::nullopt;
    }
    response.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return response;
  }

  // One chunked response: the body without its framing and the trailers after the final
  // chunk; nullopt when the connection ends or times out before the final chunk.
  std::optional<RawResponse> read_chunked_response() {
    auto response = read_head();
    if (!response) return std::nullopt;
    for (;;) {
      auto line = read_line();
      if (!line) return std::nullopt;
      const size_t size = std::stoul(*line, nullptr, 16);
      if (size == 0) break;
      while (pending_.size() < size + 2) {
        if (!fill()) return std::nullopt;
      }
      response->body += pending_.substr(0, size);
      pending_.erase(0, size + 2);
    }
    for (;;) {
      auto line = read_line();
      if (!line) return std::nullopt;
      if (line->empty()) return response;
      for (char& c : *line) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      response->trailers += *line + "\r\n";
    }
  }

  // True when the server closes (EOF or reset) within `wait`.
  bool closed_by_peer(std::chrono::milliseconds wait) {
    const auto saved = timeout_;
    timeout_ = wait;
    bool closed = false;
    for (;;) {
      const int got = read_some();
      if (got == 0) break;  // timed out: still open
      if (got < 0) {
        closed = true;
        break;
      }
    }
    timeout_ = saved;
    return closed;
  }

 private:
  bool fill() { return read_some() > 0; }

  std::optional<RawResponse> read_head() {
    size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    RawResponse response;
    response.head = pending_.substr(0, end + 2);
    for (char& c : response.head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    pending_.erase(0, end + 4);
    if (response.head.size() < 12) return std::nullopt;
    response.status = std::stoi(response.head.substr(9, 3));
    return response;
  }

  std::optional<std::string> read_line() {
    size_t end;
    while ((end = pending_.find("\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    std::string line = pending_.substr(0, end);
    pending_.erase(0, end + 2);
    return line;
  }

  // >0 bytes read, 0 timed out, -1 EOF or error.
  int read_some() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout_.count())) <= 0) return 0;
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return -1;
    pending_.append(buf, static_cast<size_t>(n));
    return static_cast<int>(n);
  }

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string pending_;
};

}  // namespace unipay::http::testing
