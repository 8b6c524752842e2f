#include "bench/http_client.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <optional>

namespace unipay::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr int kMaxSourceAddresses = 250;               // 127.0.0.1 .. 127.0.0.250
constexpr uint64_t kBodyLimitBytes = 8 * 1024 * 1024;  // far above any unipay answer
constexpr uint32_t kLoopbackBase = 0x7f000001;         // 127.0.0.1

struct Pending {
  ClientRequest request;
  ResponseHandler done;
  Clock::time_point submitted;
};

bool is_errno(const beast::error_code& ec, int value) {
  return ec.category() == boost::system::system_category() && ec.value() == value;
}

std::string error_kind(const beast::error_code& ec, bool connecting) {
  if (ec == beast::error::timeout) return connecting ? "connect_timeout" : "timeout";
  if (ec == bhttp::error::end_of_stream || ec == asio::error::eof) return "eof";
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) return "reset";
  if (ec == asio::error::connection_refused) return "connect_refused";
  if (ec == asio::error::no_descriptors || is_errno(ec, EMFILE) || is_errno(ec, ENFILE)) return "emfile";
  if (is_errno(ec, EADDRNOTAVAIL)) return "no_local_port";
  if (ec.category() == bhttp::make_error_code(bhttp::error::body_limit).category()) return "parse";
  return connecting ? "connect" : "io";
}

// A keep-alive connection that went stale while idle (the server closed it) fails this way
// before the request was read; sending it again on a fresh connection is safe.
bool stale_keepalive(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe;
}

}  // namespace

class Conn;

struct HttpClient::Impl : std::enable_shared_from_this<Impl> {
  Impl(Loop& loop, Endpoint t, ClientOptions o)
      : io(*static_cast<asio::io_context*>(loop.native())),
        target(std::move(t)),
        endpoint(asio::ip::make_address(target.host), target.port),
        options(o),
        host_header(endpoint.address().is_v6() ? "[" + target.host + "]:" + std::to_string(target.port)
                                               : target.host + ":" + std::to_string(target.port)) {
    source_index = std::clamp(o.source_index, 0, kMaxSourceAddresses - 1);
    // For testing the source-address path without exhausting 28k ports first.
    if (const char* start = std::getenv("UNIPAY_BENCH_SOURCE_INDEX")) {
      source_index = std::clamp(std::atoi(start), 0, kMaxSourceAddresses - 1);
    }
  }

  void submit(Pending p);
  void released(const std::shared_ptr<Conn>& conn, bool reusable);
  void start_new(Pending p);
  void retry_fresh(Pending p);

  asio::io_context& io;
  Endpoint target;
  tcp::endpoint endpoint;
  ClientOptions options;
  std::string host_header;
  std::vector<std::shared_ptr<Conn>> idle;
  std::deque<Pending> queue;
  size_t open = 0;
  int source_index = 0;  // 0: let the kernel choose (127.0.0.1); k: bind 127.0.0.(k+1)
  uint64_t connects = 0;
  uint64_t retries = 0;
  bool closed = false;
};

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  explicit Conn(std::shared_ptr<HttpClient::Impl> pool) : pool_(std::move(pool)), stream_(pool_->io) {}

  void connect_and_send(Pending p) {
    pending_ = std::move(p);
    connect(kMaxSourceAddresses);
  }

  void send(Pending p) {
    reused_ = true;
    pending_ = std::move(p);
    write();
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

 private:
  // Binds to the pool's current source address; tries the next one when this one has no
  // local port left. `tries` bounds the walk.
  void connect(int tries) {
    auto& sock = stream_.socket();
    beast::error_code ec;
    sock.open(pool_->endpoint.protocol(), ec);
    if (ec) return finish_error(ec, true);
    const int index = pool_->source_index;
    if (index > 0 && pool_->endpoint.address().is_v4()) {
      int one = 1;
      // The port is then chosen at connect() by the whole 4-tuple, not at bind().
      (void)::setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sock.bind(tcp::endpoint(asio::ip::address_v4(kLoopbackBase + static_cast<uint32_t>(index)), 0), ec);
      if (ec) return retry_connect(ec, index, tries);
    }
    stream_.expires_after(pending_.request.timeout);
    stream_.async_connect(pool_->endpoint, [self = shared_from_this(), index, tries](beast::error_code cec) {
      if (cec) return self->retry_connect(cec, index, tries);
      beast::error_code ignored;
      self->stream_.socket().set_option(tcp::no_delay(true), ignored);
      self->write();
    });
  }

  void retry_connect(const beast::error_code& ec, int index, int tries) {
    const bool out_of_ports = is_errno(ec, EADDRNOTAVAIL) || is_errno(ec, EADDRINUSE);
    if (!out_of_ports || tries <= 0 || index + 1 >= kMaxSourceAddresses) return finish_error(ec, true);
    if (pool_->source_index == index) pool_->source_index = index + 1;
    beast::error_code ignored;
    stream_.socket().close(ignored);
    connect(tries - 1);
  }

  void write() {
    const ClientRequest& in = pending_.request;
    request_ = {};
    request_.method(bhttp::string_to_verb(in.method));
    request_.target(in.target);
    request_.version(11);
    request_.set(bhttp::field::host, pool_->host_header);
    for (const auto& [name, value] : in.headers) request_.set(name, value);
    request_.body() = in.body;
    request_.keep_alive(true);
    request_.prepare_payload();
    stream_.expires_after(in.timeout);
    bhttp::async_write(stream_, request_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->io_failed(ec);
      self->read();
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(kBodyLimitBytes);
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->io_failed(ec);
      self->on_answer();
    });
  }

  void on_answer() {
    auto& message = parser_->get();
    ClientResponse r;
    r.status = static_cast<int>(message.result_int());
    r.body = std::move(message.body());
    if (auto it = message.find("X-Unipay-Signature"); it != message.end())
      r.signature = std::string(it->value());
    if (auto it = message.find(bhttp::field::retry_after); it != message.end())
      r.retry_after = std::string(it->value());
    finish(std::move(r), message.keep_alive());
  }

  void io_failed(const beast::error_code& ec) {
    if (reused_ && !pending_.request.retried && stale_keepalive(ec)) {
      pending_.request.retried = true;
      pool_->retries += 1;
      Pending again = std::move(pending_);
      close();
      pool_->released(shared_from_this(), false);
      pool_->retry_fresh(std::move(again));
      return;
    }
    finish_error(ec, false);
  }

  void finish_error(const beast::error_code& ec, bool connecting) {
    ClientResponse r;
    r.error = error_kind(ec, connecting);
    finish(std::move(r), false);
  }

  void finish(ClientResponse r, bool reusable) {
    r.sent_at = pending_.submitted;
    r.done_at = Clock::now();
    ResponseHandler done = std::move(pending_.done);
    pending_ = {};
    stream_.expires_never();
    if (!reusable) close();
    // The connection goes back first, so a request sent from `done` can reuse it.
    pool_->released(shared_from_this(), reusable);
    if (done && !pool_->closed) done(std::move(r));
  }

  std::shared_ptr<HttpClient::Impl> pool_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> request_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  Pending pending_;
  bool reused_ = false;
};

void HttpClient::Impl::submit(Pending p) {
  if (closed) return;
  if (!idle.empty()) {
    auto conn = std::move(idle.back());
    idle.pop_back();
    return conn->send(std::move(p));
  }
  if (open < options.max_connections) return start_new(std::move(p));
  queue.push_back(std::move(p));
}

// A retry after a stale keep-alive goes on a new connection: the idle list is a stack, so
// the connections under the one that failed have been idle longer and the server has likely
// closed them too (a second failure would be reported as the request's answer).
void HttpClient::Impl::retry_fresh(Pending p) {
  if (closed) return;
  if (open < options.max_connections) return start_new(std::move(p));
  queue.push_front(std::move(p));
}

void HttpClient::Impl::start_new(Pending p) {
  open += 1;
  connects += 1;
  std::make_shared<Conn>(shared_from_this())->connect_and_send(std::move(p));
}

void HttpClient::Impl::released(const std::shared_ptr<Conn>& conn, bool reusable) {
  if (closed) {
    conn->close();
    return;
  }
  if (reusable) {
    if (queue.empty()) return idle.push_back(conn);
    Pending next = std::move(queue.front());
    queue.pop_front();
    return conn->send(std::move(next));
  }
  open -= 1;
  if (!queue.empty() && open < options.max_connections) {
    Pending next = std::move(queue.front());
    queue.pop_front();
    start_new(std::move(next));
  }
}

HttpClient::HttpClient(Loop& loop, Endpoint target, ClientOptions options)
    : impl_(std::make_shared<Impl>(loop, std::move(target), options)) {}

HttpClient::~HttpClient() {
  impl_->closed = true;
  for (auto& conn : impl_->idle) conn->close();
  impl_->idle.clear();  // breaks the pool ↔ idle connection cycle
  impl_->queue.clear();
}

void HttpClient::send(ClientRequest request, ResponseHandler done) {
  impl_->submit(Pending{std::move(request), std::move(done), Clock::now()});
}

ClientCounters HttpClient::counters() const {
  return {impl_->open,     impl_->idle.size(), impl_->queue.size(), impl_->source_index + 1,
          impl_->connects, impl_->retries};
}

void HttpClient::close_idle() {
  for (auto& conn : impl_->idle) conn->close();
  impl_->open -= impl_->idle.size();
  impl_->idle.clear();
}

ClientRequest json_post(std::string target, std::string body) {
  ClientRequest r;
  r.method = "POST";
  r.target = std::move(target);
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

}  // namespace unipay::bench
