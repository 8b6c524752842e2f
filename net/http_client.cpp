// Outbound HTTP/1.1 POST over Boost.Beast (plain or TLS), one connection per call. Each call
// runs on its own strand: resolve → check addresses → connect → [TLS handshake] → write →
// read, under one timer for the whole call; finish() reports exactly once.
#include "net/http_client.hpp"

#include <spdlog/spdlog.h>

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
#include <optional>

namespace unipay::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Done = std::function<void(Result<OutboundResponse>)>;

constexpr size_t kKeptBodyBytes = 4096;  // OutboundResponse::body is for last_error only

struct ClientShared {
  ClientShared(asio::io_context& io, const ClientOptions& opts) : io_context(io), options(opts) {}
  asio::io_context& io_context;
  ClientOptions options;
  std::atomic<size_t> in_flight{0};
  ssl::context tls{ssl::context::tls_client};
};

Error call_error(const std::string& message) { return make_error(Errc::server_busy, message); }

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(std::shared_ptr<ClientShared> shared, ParsedUrl url, OutboundRequest request, Done done)
      : shared_(std::move(shared)),
        url_(std::move(url)),
        request_(std::move(request)),
        done_(std::move(done)),
        strand_(asio::make_strand(shared_->io_context)),
        resolver_(strand_),
        timer_(strand_) {
    if (url_.scheme == "https") {
      tls_.emplace(strand_, shared_->tls);
    } else {
      plain_.emplace(strand_);
    }
  }

  ~Call() { shared_->in_flight.fetch_sub(1); }

  void start() {
    asio::post(strand_, [self = shared_from_this()] { self->run(); });
  }

 private:
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  // Runs f on whichever stream this call uses.
  template <class F>
  void with_stream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(*plain_);
    }
  }

  void run() {
    timer_.expires_after(request_.timeout);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->fail("timed out after " + std::to_string(self->request_.timeout.count()) + " ms");
    });
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
    lowest().async_connect(results, [self = shared_from_this()](beast::error_code cec, const tcp::endpoint&) {
      self->on_connect(cec);
    });
  }

  void on_connect(beast::error_code ec) {
    if (finished_) return;
    if (ec) return fail("connect " + url_.host + ":" + url_.port + ": " + ec.message());
    if (!tls_) return write();
    if (!is_ip_literal(url_.host) && !SSL_set_tlsext_host_name(tls_->native_handle(), url_.host.c_str())) {
      return fail("TLS: cannot set the server name");
    }
    tls_->set_verify_mode(ssl::verify_peer);
    tls_->set_verify_callback(ssl::host_name_verification(url_.host));
    tls_->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code hec) {
      if (self->finished_) return;
      if (hec) return self->fail("TLS handshake with " + self->url_.host + ": " + hec.message());
      self->write();
    });
  }

  void write() {
    const bool ipv6 = url_.host.find(':') != std::string::npos;
    const bool default_port = url_.port == (tls_ ? "443" : "80");
    std::string host = ipv6 ? "[" + url_.host + "]" : url_.host;
    if (!default_port) host += ":" + url_.port;
    message_ = {bhttp::verb::post, url_.path_with_query, 11};
    message_.set(bhttp::field::host, host);
    message_.set(bhttp::field::user_agent, "unipay");
    message_.set(bhttp::field::content_type, "application/json");
    for (const auto& [name, value] : request_.headers) {
      if (name.find_first_of("\r\n:") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos) {
        return fail("bad request header " + name);
      }
      message_.set(name, value);
    }
    message_.keep_alive(false);
    message_.body() = std::move(request_.body);
    message_.prepare_payload();
    with_stream([this](auto& stream) {
      bhttp::async_write(stream, message_, [self = shared_from_this()](beast::error_code ec, size_t) {
        if (self->finished_) return;
        if (ec) return self->fail("write to " + self->url_.host + ": " + ec.message());
        self->read();
      });
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(shared_->options.max_response_body_bytes);
    with_stream([this](auto& stream) {
      bhttp::async_read(stream, buffer_, *parser_,
                        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    });
  }

  void on_read(beast::error_code ec) {
    if (finished_) return;
    // A body cut at the size limit, or a TLS peer closing without close_notify, still
    // leaves a complete status line: the status is what counts.
    const bool status_usable = ec == bhttp::error::body_limit || ec == ssl::error::stream_truncated;
    if (ec && !(status_usable && parser_->is_header_done())) {
      return fail("read from " + url_.host + ": " + ec.message());
    }
    OutboundResponse response;
    response.status = static_cast<int>(parser_->get().result_int());
    response.body = parser_->get().body().substr(0, kKeptBodyBytes);
    finish(std::move(response));
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
    beast::error_code ec;
    lowest().socket().close(ec);  // aborts whatever is pending; their handlers see finished_
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
  asio::strand<asio::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> message_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  bool finished_ = false;
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
      auto call =
          std::make_shared<Call>(shared_, std::move(url).value(), std::move(request), std::move(done));
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

}  // namespace unipay::http
