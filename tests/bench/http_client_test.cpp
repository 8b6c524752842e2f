// The bench's HTTP client pool against a loopback server that closes its idle keep-alive
// connections without a word, as unipayd does after server.idle_timeout_ms.
#include "bench/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace unipay::bench {
namespace {

// Answers every request "200 ok" and keeps the connection; close_idle() closes every
// connection it holds (the client is not told until it writes or reads).
class SilentClosingServer {
 public:
  SilentClosingServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    EXPECT_EQ(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~SilentClosingServer() {
    stop_ = true;
    thread_.join();
    for (int fd : conns_) ::close(fd);
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  void close_idle() { close_requested_ = true; }
  int accepted() const { return accepted_; }

 private:
  void serve() {
    while (!stop_) {
      if (close_requested_.exchange(false)) {
        for (int fd : conns_) ::close(fd);
        conns_.clear();
      }
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      for (int fd : conns_) fds.push_back({fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), 10) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        conns_.push_back(::accept(listen_fd_, nullptr, nullptr));
        accepted_ += 1;
      }
      for (size_t i = 1; i < fds.size(); ++i)
        if (fds[i].revents & POLLIN) answer(fds[i].fd);
    }
  }
  // Requests here are one small GET each, read in one piece.
  static void answer(int fd) {
    char buf[4096];
    if (::read(fd, buf, sizeof buf) <= 0) return;
    static const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    (void)!::write(fd, kOk.data(), kOk.size());
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::vector<int> conns_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> close_requested_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

ClientRequest get() {
  ClientRequest r;
  r.timeout = std::chrono::milliseconds(5000);
  return r;
}

// Sends n requests at once and runs the loop until all are answered.
std::vector<ClientResponse> send_together(Loop& loop, HttpClient& client, int n) {
  std::vector<ClientResponse> answers;
  for (int i = 0; i < n; ++i)
    client.send(get(), [&answers](ClientResponse r) { answers.push_back(std::move(r)); });
  loop.run_while([&] { return answers.size() < static_cast<size_t>(n); },
                 Clock::now() + std::chrono::seconds(10));
  return answers;
}

// Proves: when every idle connection of the pool went stale, a request is still answered
// (its one retry goes on a new connection, not on the next stale one).
TEST(BenchHttpClient, RequestOnStaleConnectionsIsRetriedOnAFreshOne) {
  SilentClosingServer server;
  Loop loop;
  HttpClient client(loop, Endpoint{"127.0.0.1", server.port()}, ClientOptions{});
  const auto first = send_together(loop, client, 3);
  ASSERT_EQ(first.size(), 3u);
  for (const auto& r : first) ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(client.counters().idle, 3u);

  server.close_idle();
  loop.run_for(std::chrono::milliseconds(100));  // the closes reach the client's sockets
  const auto after = send_together(loop, client, 1);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].status, 200) << "answered with error: " << after[0].error;
  EXPECT_EQ(client.counters().retries, 1u);
  EXPECT_EQ(server.accepted(), 4);
}

}  // namespace
}  // namespace unipay::bench
