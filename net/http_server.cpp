// The listener and the io threads of the HTTP server. Sessions live in net/http_session.cpp.
#include "net/http_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "net/http_session.hpp"
#include "net/json.hpp"

namespace unipay::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace detail {

Response error_response(int status, std::string_view code, int ret, const std::string& message) {
  Response response;
  response.status = status;
  response.body = R"({"error":{"code":)";
  json::append_quoted(response.body, code);
  response.body += R"(,"ret":)" + std::to_string(ret) + R"(,"message":)";
  json::append_quoted(response.body, message);
  response.body += "}}";
  return response;
}

bool valid_header(const Header& header) {
  if (header.name.empty() || header.name.find_first_of("\r\n: \t") != std::string::npos) return false;
  return header.value.find_first_of("\r\n") == std::string::npos;
}

std::string make_request_id(uint64_t n) {
  // splitmix64's finalizer is a bijection: distinct counters give distinct, unordered ids.
  n = (n ^ (n >> 30)) * 0xbf58476d1ce4e5b9ULL;
  n = (n ^ (n >> 27)) * 0x94d049bb133111ebULL;
  n ^= n >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, n >>= 4) id[static_cast<size_t>(i)] = kHex[n & 0xf];
  return id;
}

}  // namespace detail

namespace {

constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
// Connections taken from the kernel's accept queue per wake-up of the listener. One per
// wake-up (asio's async_accept) lets the queue overflow under load: each accept waits a
// full pass of the io thread's ready handlers, and a connection the queue cannot hold is
// retried by the client's kernel 1, 3, 7 s later, a wait the server never sees.
constexpr int kAcceptBurst = 256;

// Accepts connections on its own strand and hands each to a session, or closes it at once
// when max_connections sessions are open.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io_context, std::shared_ptr<detail::ServerShared> shared)
      : io_context_(io_context),
        acceptor_(asio::make_strand(io_context)),
        retry_(acceptor_.get_executor()),
        shared_(std::move(shared)) {}

  Status open(const tcp::endpoint& endpoint) {
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) acceptor_.non_blocking(true, ec);  // drain_backlog's accept4 must never block
    if (ec) {
      return make_error(Errc::server_busy, "cannot listen on " + endpoint.address().to_string() + ":" +
                                               std::to_string(endpoint.port()) + ": " + ec.message());
    }
    ipv6_ = endpoint.address().is_v6();
    port_ = acceptor_.local_endpoint(ec).port();
    return ok_status();
  }

  uint16_t port() const { return port_; }

  void accept() {
    acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
      self->on_accept(ec, std::move(socket));
    });
  }

  // Only while no thread runs the io_context.
  void close_now() {
    boost::system::error_code ec;
    retry_.cancel();
    acceptor_.close(ec);
  }

 private:
  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // EMFILE/ENFILE at the descriptor limit: waiting clients stay in the backlog until
      // sessions close. Logged on the first failure of a run and every 100th after it.
      if (failures_++ % 100 == 0) spdlog::warn("http: accept failed ({}), retrying in 100 ms", ec.message());
      retry_.expires_after(kAcceptRetry);
      retry_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (!wait_ec) self->accept();
      });
      return;
    }
    failures_ = 0;
    const int fd = socket.release(ec);
    if (!ec) adopt(fd);
    drain_backlog();
    accept();
  }

  // Takes what else waits in the accept queue now, up to kAcceptBurst. An error (EAGAIN:
  // empty; EMFILE...) ends the burst; the next async_accept reports a lasting one.
  void drain_backlog() {
    for (int i = 0; i < kAcceptBurst; ++i) {
      const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      adopt(fd);
    }
  }

  // A new session, or the connection closed at once when max_connections are open.
  void adopt(int fd) {
    if (shared_->open.load() >= shared_->options.max_connections) {
      shared_->refused.fetch_add(1);
      ::close(fd);
      return;
    }
    shared_->accepted.fetch_add(1);
    detail::start_session(io_context_, fd, ipv6_, shared_);
  }

  asio::io_context& io_context_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  std::shared_ptr<detail::ServerShared> shared_;
  uint64_t failures_ = 0;
  bool ipv6_ = false;
  uint16_t port_ = 0;
};

void run_io(asio::io_context& io_context) {
  for (;;) {
    try {
      io_context.run();
      return;
    } catch (const std::exception& e) {
      // Handlers catch their own exceptions; this is the last line, and the thread goes on.
      spdlog::error("http: io thread caught: {}", e.what());
    }
  }
}

}  // namespace

struct Server::Impl {
  explicit Impl(int threads) : io_context(threads) {}
  ~Impl() { stop(); }

  void stop() {
    if (stopped.exchange(true)) return;
    shared->stopping.store(true);
    work.reset();
    io_context.stop();
    for (std::thread& thread : threads) {
      if (!thread.joinable()) continue;
      if (thread.get_id() == std::this_thread::get_id()) {
        spdlog::error("http: Server::stop() called on an io thread; not joining it");
        thread.detach();
      } else {
        thread.join();
      }
    }
    // No io thread runs now: close the listener and every connection from here. Pending
    // handlers (and the sessions they hold) are destroyed with the io_context.
    if (listener) listener->close_now();
    detail::close_sessions(*shared);
  }

  asio::io_context io_context;  // first member: destroyed last, after all that uses it
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::shared_ptr<detail::ServerShared> shared = std::make_shared<detail::ServerShared>();
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  uint16_t port = 0;
};

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options, RequestHandler handler) {
  try {
    const int thread_count = std::max(1, options.io_threads);
    auto impl = std::make_unique<Impl>(thread_count);
    impl->shared->options = options;
    impl->shared->handler = std::move(handler);
    impl->shared->request_id_seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.host, ec);
    if (ec) return make_error(Errc::invalid_parameter, "bad listen address '" + options.host + "'");
    impl->listener = std::make_shared<Listener>(impl->io_context, impl->shared);
    if (Status opened = impl->listener->open(tcp::endpoint(address, options.port)); !opened) {
      return opened.error();
    }
    impl->port = impl->listener->port();
    impl->listener->accept();
    impl->work.emplace(impl->io_context.get_executor());
    for (int i = 0; i < thread_count; ++i) {
      impl->threads.emplace_back([&io_context = impl->io_context] { run_io(io_context); });
    }
    std::unique_ptr<Server> server(new Server());
    server->impl_ = std::move(impl);
    return server;
  } catch (const std::exception& e) {
    return make_error(Errc::server_busy, std::string("cannot start the HTTP server: ") + e.what());
  }
}

Server::~Server() { stop(); }

uint16_t Server::port() const { return impl_->port; }

Post Server::poster() {
  return [&io_context = impl_->io_context](std::function<void()> fn) {
    asio::post(io_context, [fn = std::move(fn)] {
      try {
        fn();
      } catch (const std::exception& e) {
        spdlog::error("http: posted function threw: {}", e.what());
      }
    });
  };
}

asio::io_context& Server::io_context() { return impl_->io_context; }

ServerStats Server::stats() const {
  const detail::ServerShared& shared = *impl_->shared;
  ServerStats stats;
  stats.connections_accepted = shared.accepted.load();
  stats.connections_refused = shared.refused.load();
  stats.connections_open = shared.open.load();
  stats.requests = shared.requests.load();
  return stats;
}

void Server::stop() {
  if (impl_) impl_->stop();
}

}  // namespace unipay::http
