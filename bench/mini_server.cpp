#include "bench/mini_server.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>
#include <vector>

namespace unipay::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kIdleTimeout = std::chrono::seconds(120);      // a keep-alive connection with no request
constexpr auto kAcceptRetry = std::chrono::milliseconds(50);  // after EMFILE: clients wait in the backlog
constexpr uint64_t kBodyLimitBytes = 1024 * 1024;
}  // namespace

// Sessions and handlers point at Impl without owning it: stop() joins the io threads and the
// io_context (declared first, destroyed last) destroys the pending handlers with it.
struct MiniServer::Impl {
  Impl(int threads, MiniHandler h) : io(threads), acceptor(io), retry(io), handler(std::move(h)) {}
  void accept();

  asio::io_context io;
  tcp::acceptor acceptor;
  asio::steady_timer retry;
  MiniHandler handler;
  std::vector<std::thread> threads;
  std::atomic<uint64_t> requests{0};
  std::atomic<bool> stopped{false};
  uint16_t port = 0;
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, MiniServer::Impl* server) : server_(server), stream_(std::move(socket)) {}

  void read() {
    parser_.emplace();
    parser_->body_limit(kBodyLimitBytes);
    stream_.expires_after(kIdleTimeout);
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->answer();
    });
  }

 private:
  void answer() {
    auto& in = parser_->get();
    server_->requests.fetch_add(1, std::memory_order_relaxed);
    MiniResponse out = server_->handler(MiniRequest{in.method_string(), in.target(), in.body()});
    response_ = {};
    response_.result(static_cast<unsigned>(out.status));
    response_.version(11);
    response_.set(bhttp::field::content_type, "application/json");
    response_.body() = std::move(out.body);
    response_.keep_alive(in.keep_alive() && !out.close);
    response_.prepare_payload();
    bhttp::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->response_.keep_alive()) return self->close();
      self->read();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  MiniServer::Impl* server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
};

}  // namespace

void MiniServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(io), [self = this](beast::error_code ec, tcp::socket socket) {
    if (self->stopped.load()) return;
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors: pause; the kernel keeps the waiting clients in the backlog.
      self->retry.expires_after(kAcceptRetry);
      self->retry.async_wait([self](beast::error_code) { self->accept(); });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::make_shared<Session>(std::move(socket), self)->read();
    self->accept();
  });
}

std::unique_ptr<MiniServer> MiniServer::start(const std::string& host, uint16_t port, int threads,
                                              MiniHandler handler, std::string& error) {
  std::unique_ptr<MiniServer> server(new MiniServer());
  server->impl_ = std::make_unique<Impl>(threads, std::move(handler));
  Impl& impl = *server->impl_;
  beast::error_code ec;
  tcp::endpoint endpoint(asio::ip::make_address(host, ec), port);
  if (!ec) impl.acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl.acceptor.bind(endpoint, ec);
  if (!ec) impl.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    error = "listen on " + host + ":" + std::to_string(port) + ": " + ec.message();
    return nullptr;
  }
  impl.port = impl.acceptor.local_endpoint().port();
  impl.accept();
  for (int i = 0; i < threads; ++i) impl.threads.emplace_back([&impl] { impl.io.run(); });
  return server;
}

MiniServer::~MiniServer() { stop(); }

uint16_t MiniServer::port() const { return impl_->port; }

uint64_t MiniServer::requests() const { return impl_->requests.load(); }

void MiniServer::stop() {
  if (!impl_ || impl_->stopped.exchange(true)) return;
  impl_->io.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace unipay::bench
