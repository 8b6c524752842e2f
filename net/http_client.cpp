// Outbound HTTP/1.1 over Boost.Beast (plain or TLS). Each call runs on the strand of its
// connection: [resolve → check addresses → connect → TLS handshake] → write → read, under
// one timer for the whole call; finish() reports exactly once. With max_idle_connections > 0
// a connection whose answer was complete is parked in a pool keyed by scheme, host and port
// and reused by the next call to the same place (see Pool).
#include "net/http_client.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <map>
#include <mutex>
#include <optional>

#include "actors/delivery_url.hpp"

namespace unipay::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Done = std::function<void(Result<OutboundResponse>)>;
using Strand = asio::strand<asio::io_context::executor_type>;
using SteadyClock = std::chrono::steady_clock;

Error call_error(const std::string& message) { return make_error(Errc::server_busy, message); }

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string pool_key(const ParsedUrl& url) { return url.scheme + "://" + url.host + ":" + url.port; }

// One TCP (and maybe TLS) connection with its strand and read buffer. Only its current call,
// or the pool's idle watch, touches it, always on its strand.
struct Connection {
  Connection(Strand s, std::string k) : strand(std::move(s)), key(std::move(k)) {}
  Strand strand;
  std::string key;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close() {
    beast::error_code ec;
    lowest().socket().close(ec);
  }
};
using ConnectionPtr = std::shared_ptr<Connection>;

// Idle kept-alive connections, at most max_idle_connections in all. A parked connection
// waits for readability: data or EOF while idle means the peer closed it (or misbehaves), so
// it is dropped. A connection older than idle_timeout is not reused. The mutex guards only
// this map (transport plumbing, not domain state): calls on any io thread take and return.
class Pool : public std::enable_shared_from_this<Pool> {
 public:
  Pool(size_t max_idle, std::chrono::milliseconds idle_timeout)
      : max_idle_(max_idle), timeout_(idle_timeout) {}
  ~Pool() {
    for (auto& [key, connection] : idle_) close_on_strand(connection);
  }

  ConnectionPtr take(const std::string& key) {
    std::vector<ConnectionPtr> stale;
    ConnectionPtr found;
    {
      std::lock_guard lock(mutex_);
      const auto now = SteadyClock::now();
      for (auto [it, end] = idle_.equal_range(key); it != end && !found;) {
        if (now - it->second->idle_since > timeout_) {
          stale.push_back(std::move(it->second));
        } else {
          found = std::move(it->second);
        }
        it = idle_.erase(it);
      }
    }
    for (auto& connection : stale) close_on_strand(connection);
    if (found) {
      // Stops the idle watch; its handler sees operation_aborted (or, if the peer closed at
      // this instant, finds the connection gone from the pool and leaves it to the call).
      asio::post(found->strand, [found] {
        beast::error_code ec;
        found->lowest().socket().cancel(ec);
      });
    }
    return found;
  }

  // Called on the connection's strand after a complete answer.
  void give_back(const ConnectionPtr& connection) {
    {
      std::lock_guard lock(mutex_);
      if (idle_.size() < max_idle_) {
        connection->idle_since = SteadyClock::now();
        idle_.emplace(connection->key, connection);
        watch(connection);
        return;
      }
    }
    connection->close();
  }

  bool enabled() const { return max_idle_ > 0; }

 private:
  void watch(const ConnectionPtr& connection) {
    connection->lowest().socket().async_wait(tcp::socket::wait_read,
                                             [pool = weak_from_this(), connection](beast::error_code ec) {
                                               if (ec == asio::error::operation_aborted) return;
                                               auto live = pool.lock();
                                               if (live && !ec && !peer_spoke(*connection)) {
                                                 // Spurious: watch again while it is still parked.
                                                 if (live->parked(connection)) live->watch(connection);
                                                 return;
                                               }
                                               if (!live || live->remove(connection)) connection->close();
                                             });
  }

  // The reactor can report a readiness left over from the answer the call already read
  // (seen under load: a third of the parked connections dropped); only bytes or an EOF
  // that are really there mean the peer spoke.
  static bool peer_spoke(Connection& connection) {
    char byte = 0;
    const ssize_t n = ::recv(connection.lowest().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
  }

  bool parked(const ConnectionPtr& connection) {
    std::lock_guard lock(mutex_);
    for (auto [it, end] = idle_.equal_range(connection->key); it != end; ++it) {
      if (it->second == connection) return true;
    }
    return false;
  }

  bool remove(const ConnectionPtr& connection) {
    std::lock_guard lock(mutex_);
    for (auto [it, end] = idle_.equal_range(connection->key); it != end; ++it) {
      if (it->second == connection) {
        idle_.erase(it);
        return true;
      }
    }
    return false;
  }

  static void close_on_strand(const ConnectionPtr& connection) {
    asio::post(connection->strand, [connection] { connection->close(); });
  }

  const size_t max_idle_;
  const std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::multimap<std::string, ConnectionPtr> idle_;
};

struct ClientShared {
  ClientShared(asio::io_context& io, const ClientOptions& opts)
      : io_context(io),
        options(opts),
        pool(std::make_shared<Pool>(opts.max_idle_connections, opts.idle_timeout)) {}
  asio::io_context& io_context;
  ClientOptions options;
  std::atomic<size_t> in_flight{0};
  ssl::context tls{ssl::context::tls_client};
  std::shared_ptr<Pool> pool;  // shared: parked connections' idle watches hold it weakly
};

class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(std::shared_ptr<ClientShared> shared, ParsedUrl url, OutboundRequest request, Done done,
       ConnectionPtr reused)
      : shared_(std::move(shared)),
        url_(std::move(url)),
        request_(std::move(request)),
        done_(std::move(done)),
        reused_(reused != nullptr),
        connection_(reused ? std::move(reused) : fresh_connection(asio::make_strand(shared_->io_context))),
        resolver_(connection_->strand),
        timer_(connection_->strand) {
    build_message();
  }

  ~Call() { shared_->in_flight.fetch_sub(1); }

  void start() {
    asio::post(connection_->strand, [self = shared_from_this()] { self->run(); });
  }

 private:
  ConnectionPtr fresh_connection(Strand strand) {
    auto connection = std::make_shared<Connection>(std::move(strand), pool_key(url_));
    if (url_.scheme == "https") {
      connection->tls.emplace(connection->strand, shared_->tls);
    } else {
      connection->plain.emplace(connection->strand);
    }
    return connection;
  }

  template <class F>
  void with_stream(F&& f) {
    if (connection_->tls) {
      f(*connection_->tls);
    } else {
      f(*connection_->plain);
    }
  }

  void run() {
    timer_.expires_after(request_.timeout);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->fail("timed out after " + std::to_string(self->request_.timeout.count()) + " ms");
    });
    if (reused_) return write();
    resolve();
  }

  void resolve() {
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          self->on_resolve(ec, std::move(results));
        });
  }

  void on_resolve(beast::error_code ec, const tcp::resolver::results_type& results) {
    if (finished_) return;
    if (ec) return fail("resolve " + url_.host + ": " + ec.message());
    if (!shared_->options.allow_private_addresses) {
      // Every address is checked, and only these are connected to, so a name cannot pass
      // the check with one address and reach another.
      for (const auto& entry : results) {
        const std::string address = entry.endpoint().address().to_string();
        if (is_private_address(address)) return fail("delivery to private address " + address + " refused");
      }
    }
    connection_->lowest().async_connect(
        results,
        [self = shared_from_this()](beast::error_code cec, const tcp::endpoint&) { self->on_connect(cec); });
  }

  void on_connect(beast::error_code ec) {
    if (finished_) return;
    if (ec) return fail("connect " + url_.host + ":" + url_.port + ": " + ec.message());
    auto& tls = connection_->tls;
    if (!tls) return write();
    if (!is_ip_literal(url_.host) && !SSL_set_tlsext_host_name(tls->native_handle(), url_.host.c_str())) {
      return fail("TLS: cannot set the server name");
    }
    tls->set_verify_mode(ssl::verify_peer);
    tls->set_verify_callback(ssl::host_name_verification(url_.host));
    tls->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code hec) {
      if (self->finished_) return;
      if (hec) return self->fail("TLS handshake with " + self->url_.host + ": " + hec.message());
      self->write();
    });
  }

  void build_message() {
    const bool ipv6 = url_.host.find(':') != std::string::npos;
    const bool default_port = url_.port == (url_.scheme == "https" ? "443" : "80");
    std::string host = ipv6 ? "[" + url_.host + "]" : url_.host;
    if (!default_port) host += ":" + url_.port;
    message_ = {bhttp::string_to_verb(request_.method), url_.path_with_query, 11};
    message_.set(bhttp::field::host, host);
    message_.set(bhttp::field::user_agent, "unipay");
    if (!request_.body.empty() || message_.method() == bhttp::verb::post) {
      message_.set(bhttp::field::content_type, "application/json");
    }
    for (const auto& [name, value] : request_.headers) {
      if (name.empty() || name.find_first_of("\r\n:") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos) {
        bad_header_ = name;
      } else {
        message_.set(name, value);
      }
    }
    message_.keep_alive(shared_->pool->enabled());
    message_.body() = request_.body;
    message_.prepare_payload();
  }

  void write() {
    if (message_.method() == bhttp::verb::unknown) return fail("bad request method " + request_.method);
    if (!bad_header_.empty()) return fail("bad request header " + bad_header_);
    with_stream([this](auto& stream) {
      bhttp::async_write(stream, message_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (self->finished_) return;
        if (ec) return self->fail_or_retry("write to " + self->url_.host + ": " + ec.message());
        self->read();
      });
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(shared_->options.max_response_body_bytes);
    with_stream([this](auto& stream) {
      bhttp::async_read(stream, connection_->buffer, *parser_,
                        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    });
  }

  void on_read(beast::error_code ec) {
    if (finished_) return;
    // A body cut at the size limit, or a TLS peer closing without close_notify, still
    // leaves a complete status line: for delivery the status is what counts.
    const bool too_long = ec == bhttp::error::body_limit;
    if (too_long && request_.whole_body) {
      return fail("the answer from " + url_.host + " is longer than " +
                  std::to_string(shared_->options.max_response_body_bytes) + " bytes");
    }
    const bool status_usable = too_long || ec == ssl::error::stream_truncated;
    if (ec && !(status_usable && parser_->is_header_done())) {
      if (!parser_->got_some()) return fail_or_retry("read from " + url_.host + ": " + ec.message());
      return fail("read from " + url_.host + ": " + ec.message());
    }
    auto& message = parser_->get();
    OutboundResponse response;
    response.status = static_cast<int>(message.result_int());
    response.body = message.body().substr(0, request_.kept_body_bytes);
    for (const auto& field : message) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      response.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    reusable_ = !ec && shared_->pool->enabled() && message.keep_alive() && connection_->buffer.size() == 0;
    finish(std::move(response));
  }

  // A kept-alive connection the peer closed while it sat idle fails before any answer
  // byte: the call starts once more on a new connection. Provider and delivery requests
  // are idempotent by their order, refund or event ids, so a repeat is harmless.
  void fail_or_retry(std::string message) {
    if (!reused_) return fail(std::move(message));
    spdlog::debug("outbound call to {}: reused connection failed ({}); reconnecting", url_.host, message);
    connection_->close();
    reused_ = false;
    connection_ = fresh_connection(connection_->strand);
    resolve();
  }

  void fail(std::string message) {
    spdlog::debug("outbound call to {}: {}", url_.host, message);
    finish(call_error(message));
  }

  void finish(Result<OutboundResponse> result) {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    resolver_.cancel();
    if (reusable_) {
      shared_->pool->give_back(connection_);
    } else {
      connection_->close();  // aborts whatever is pending; their handlers see finished_
    }
    try {
      done_(std::move(result));
    } catch (const std::exception& e) {
      spdlog::error("outbound call to {}: done() threw: {}", url_.host, e.what());
    }
    done_ = nullptr;
  }

  std::shared_ptr<ClientShared> shared_;
  ParsedUrl url_;
  OutboundRequest request_;
  Done done_;
  bool reused_;  // connection_ came from the pool (and may have been closed by the peer)
  ConnectionPtr connection_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  bhttp::request<bhttp::string_body> message_;
  std::string bad_header_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  bool finished_ = false;
  bool reusable_ = false;
};

class HttpTransport final : public DeliveryTransport {
 public:
  HttpTransport(asio::io_context& io_context, const ClientOptions& options)
      : shared_(std::make_shared<ClientShared>(io_context, options)) {
    beast::error_code ec;
    shared_->tls.set_default_verify_paths(ec);
    if (ec) spdlog::error("outbound TLS: cannot load the system CA certificates: {}", ec.message());
    shared_->tls.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(shared_->tls.native_handle(), TLS1_2_VERSION);
  }

  void post(OutboundRequest request, Done done) override {
    bool holds_slot = false;
    try {
      Result<ParsedUrl> url = parse_url(request.url);
      if (!url) return report(std::move(done), url.error());
      holds_slot = true;
      if (shared_->in_flight.fetch_add(1) >= shared_->options.max_in_flight) {
        shared_->in_flight.fetch_sub(1);
        holds_slot = false;
        return report(std::move(done), call_error("too many outbound calls in flight"));
      }
      ConnectionPtr reused = shared_->pool->enabled() ? shared_->pool->take(pool_key(*url)) : nullptr;
      auto call = std::make_shared<Call>(shared_, std::move(url).value(), std::move(request), std::move(done),
                                         std::move(reused));
      holds_slot = false;  // the Call gives the slot back when it is destroyed
      call->start();
    } catch (const std::exception& e) {
      if (holds_slot) shared_->in_flight.fetch_sub(1);
      spdlog::error("outbound call: {}", e.what());
    }
  }

 private:
  // Failures found before any I/O still reach `done` on an io thread, never on the caller's stack.
  void report(Done done, Error error) {
    asio::post(shared_->io_context, [done = std::move(done), error = std::move(error)]() mutable {
      try {
        done(std::move(error));
      } catch (const std::exception& e) {
        spdlog::error("outbound call: done() threw: {}", e.what());
      }
    });
  }

  std::shared_ptr<ClientShared> shared_;
};

}  // namespace

std::unique_ptr<DeliveryTransport> make_http_transport(asio::io_context& io_context,
                                                       const ClientOptions& options) {
  return std::make_unique<HttpTransport>(io_context, options);
}

ClientOptions delivery_client_options(const config::DeliveryConfig& delivery) {
  ClientOptions options;
  options.allow_private_addresses = delivery.allow_private;
  options.max_idle_connections = delivery.keepalive_max_idle;
  options.idle_timeout = delivery.keepalive_idle_ms;
  return options;
}

}  // namespace unipay::http
