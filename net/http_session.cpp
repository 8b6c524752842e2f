// One keep-alive HTTP/1.1 connection: read a request within the deadline and the size
// limits, hand it to the RequestHandler, write its answer, repeat. Every step runs on the
// session's strand; the Responder may run on any thread and posts back to it.
// While a handler holds a request and has asked (Request::client, a long poll), the session
// watches the socket: EOF or an error means the client went away, so the handler is told
// and the socket is closed at once. Bytes that arrive instead (a pipelined next request)
// stay unread in the kernel for the next read_request, and the watch stops: a client that
// sends its next request is still there. A half-close (shutdown of the client's sending
// side) while waiting counts as going away.
#include "net/http_session.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <optional>

#include "net/http_stream_writer.hpp"

namespace unipay::http::detail {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// Longer than the longest long poll (60 s): a handler that never answers (a bug) must not
// pin the connection for ever.
constexpr auto kHandlerDeadline = std::chrono::seconds(75);
// After an error answer the peer may still be sending; reading and dropping its bytes for a
// while before closing keeps the kernel from resetting the connection (which can discard
// the answer before the peer reads it).
constexpr auto kLingerMax = std::chrono::milliseconds(2000);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

Request to_request(bhttp::request<bhttp::string_body>& message, const std::string& remote) {
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  const size_t query_at = request.target.find('?');
  request.path = request.target.substr(0, query_at);
  if (query_at != std::string::npos) request.query = request.target.substr(query_at + 1);
  for (const auto& field : message) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    request.headers.push_back(Header{std::move(name), std::string(field.value())});
  }
  request.body = std::move(message.body());
  request.remote_address = remote;
  request.received_at = std::chrono::steady_clock::now();
  return request;
}

// The Beast answer for a handler's Response; never throws on a bad status or header.
// request_id: empty when no request could be read.
bhttp::response<bhttp::string_body> build_response(Response in, unsigned version, bool keep_alive, bool head,
                                                   std::string_view request_id) {
  if (in.status < 200 || in.status > 599) {
    spdlog::error("request {}: handler answered status {}; sending 500", request_id, in.status);
    in = error_response(500, "server_busy", -1, "internal error");
  }
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(in.status), version};
  const bool no_body = in.status == 204 || in.status == 304;  // these may carry no body
  set_head_fields(out, in, no_body);
  out.keep_alive(keep_alive);
  if (!no_body) out.content_length(in.body.size());
  // HEAD: the length of the body a GET would get, and no body.
  if (!no_body && !head) out.body() = std::move(in.body);
  return out;
}

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<ServerShared> shared, std::string remote)
      : shared_(std::move(shared)),
        stream_(std::move(socket)),
        handler_timer_(stream_.get_executor()),
        remote_(std::move(remote)) {
    shared_->open.fetch_add(1);
  }

  ~Session() {
    if (registered_) {
      std::lock_guard lock(shared_->sessions_mutex);
      shared_->sessions.erase(registry_entry_);
    }
    release_connection_slot();
  }

  void start() {
    {
      std::lock_guard lock(shared_->sessions_mutex);
      if (shared_->stopping.load()) return;  // the socket closes with this session
      registry_entry_ = shared_->sessions.insert(shared_->sessions.end(), weak_from_this());
      registered_ = true;
    }
    asio::post(stream_.get_executor(), [self = shared_from_this()] { self->read_request(); });
  }

  // On the strand, or from Server::stop() once no thread runs the io_context.
  void close() {
    beast::error_code ec;
    stop_watching();
    handler_timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    // The descriptor is free now, even while a handler still holds the responder (a long
    // poll whose client went away): max_connections counts open sockets.
    release_connection_slot();
  }

 private:
  void read_request() {
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(shared_->options.max_header_bytes));
    if (first_request_ || buffer_.size() > 0) {
      first_request_ = false;
      stream_.expires_after(shared_->options.read_timeout);
      read_header();
      return;
    }
    // Idle keep-alive: wait for the first byte of the next request under idle_timeout,
    // then the whole request gets read_timeout.
    stream_.expires_after(shared_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->stream_.expires_after(self->shared_->options.read_timeout);
                              self->read_header();
                            });
  }

  void read_header() {
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    const auto& req = parser_->get();
    // curl and other clients wait up to a second for this before sending a large body.
    if (!parser_->is_done() && beast::iequals(req[bhttp::field::expect], "100-continue")) {
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared_from_this()](beast::error_code wec, size_t) {
                          if (wec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->on_read_error(ec);
      self->stream_.expires_never();  // the handler's time is bounded by kHandlerDeadline
      self->dispatch();
    });
  }

  void on_read_error(beast::error_code ec) {
    const ServerOptions& limits = shared_->options;
    if (ec == bhttp::error::body_limit) {
      const std::string message = "request body exceeds " + std::to_string(limits.max_body_bytes) + " bytes";
      return answer_error(error_response(413, "payload_too_large", 6, message));
    }
    if (ec == bhttp::error::header_limit) {
      const std::string message =
          "request header exceeds " + std::to_string(limits.max_header_bytes) + " bytes";
      return answer_error(error_response(431, "header_too_large", 6, message));
    }
    const bool syntax = ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                        ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (syntax) {
      spdlog::debug("http {}: malformed request: {}", remote_, ec.message());
      return answer_error(error_response(400, "invalid_parameter", 6, "malformed HTTP request"));
    }
    close();  // timeout, peer gone, or cut mid-request: nobody to answer
  }

  void answer_error(Response response) {
    write(build_response(std::move(response), 11, false, false, {}), true);
  }

  void dispatch() {
    auto message = parser_->release();
    Request request = to_request(message, remote_);
    request.request_id = make_request_id(shared_->request_id_seed + shared_->next_request.fetch_add(1));
    ++generation_;
    request.client = make_client_watch(generation_);
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    head_ = message.method() == bhttp::verb::head;
    request_id_ = request.request_id;
    shared_->requests.fetch_add(1);
    waiting_ = true;
    try {
      shared_->handler(std::move(request), make_responder());
    } catch (const std::exception& e) {
      spdlog::error("request {}: handler threw: {}", request_id_, e.what());
      on_response(generation_, error_response(503, "server_busy", -1, "internal error"));
    }
    // Only for an answer still to come: one answered at once (refusals, cached reads) costs
    // no timer.
    if (!waiting_) return;
    handler_timer_.expires_after(kHandlerDeadline);
    handler_timer_.async_wait([self = shared_from_this(), generation = generation_](beast::error_code ec) {
      if (!ec) self->on_handler_deadline(generation);
    });
  }

  Responder make_responder() {
    auto called = std::make_shared<std::atomic<bool>>(false);
    return [self = shared_from_this(), generation = generation_, called](Response response) {
      if (called->exchange(true)) {
        spdlog::error("request {}: responder called twice; the second answer is dropped", self->request_id_);
        return;
      }
      try {
        // On the session's strand already (the handler answered at once): inline, no
        // second trip through the io queue. From any other thread: posted to the strand.
        asio::dispatch(self->stream_.get_executor(),
                       [self, generation, response = std::move(response)]() mutable {
                         self->on_response(generation, std::move(response));
                       });
      } catch (const std::exception& e) {
        spdlog::error("request {}: cannot post the answer: {}", self->request_id_, e.what());
      }
    };
  }

  void on_response(uint64_t generation, Response response) {
    if (generation != generation_ || !waiting_) return;  // the deadline answered already
    waiting_ = false;
    stop_watching();
    handler_timer_.cancel();
    const bool keep = keep_alive_ && !shared_->stopping.load();
    if (response.stream) return write_stream(std::move(response), keep);
    write(build_response(std::move(response), version_, keep, head_, request_id_), !keep);
  }

  // A body from a BodySource goes out chunked (net/http_stream_writer), so HTTP/1.1 only.
  // HEAD never reaches one (routes match GET exactly); if it did, it would get the 400 too.
  void write_stream(Response response, bool keep) {
    if (version_ < 11 || head_) {
      const std::string message = "this answer is streamed: ask with GET over HTTP/1.1";
      return write(build_response(error_response(400, "invalid_parameter", 6, message), version_, false,
                                  head_, request_id_),
                   true);
    }
    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(response.status), version_};
    set_head_fields(head, response, false);
    head.keep_alive(keep);
    write_streamed(stream_, std::move(head), std::move(response.stream),
                   {shared_->options.read_timeout, kHandlerDeadline},
                   [self = shared_from_this(), keep](bool ok) {
                     if (!ok) return self->close();
                     if (!keep) return self->linger_close();
                     self->read_request();
                   });
  }

  void on_handler_deadline(uint64_t generation) {
    if (generation != generation_ || !waiting_) return;
    waiting_ = false;
    stop_watching();
    spdlog::error("request {}: no answer from the handler within {} s", request_id_,
                  kHandlerDeadline.count());
    // The handler may still answer later: closing keeps that answer off this connection.
    write(build_response(error_response(503, "server_busy", -1, "no answer in time"), version_, false, head_,
                         request_id_),
          true);
  }

  // --- watching the socket while a handler holds the request ---------------------------

  // The handler's first on_gone posts here to start watching (never for short requests).
  std::shared_ptr<ClientWatch> make_client_watch(uint64_t generation) {
    auto start = [weak = weak_from_this(), executor = stream_.get_executor(), generation] {
      asio::post(executor, [weak, generation] {
        if (auto self = weak.lock()) self->watch_socket(generation);
      });
    };
    watch_ = std::make_shared<ClientWatch>(std::move(start));
    return watch_;
  }

  void watch_socket(uint64_t generation) {
    if (generation != generation_ || !waiting_ || watching_) return;
    watching_ = true;
    stream_.socket().async_wait(
        tcp::socket::wait_read,
        [self = shared_from_this(), generation](beast::error_code ec) { self->on_readable(generation, ec); });
  }

  void on_readable(uint64_t generation, beast::error_code ec) {
    if (ec == asio::error::operation_aborted || generation != generation_ || !waiting_ || !watching_) return;
    watching_ = false;
    if (!ec) {
      char byte = 0;
      const ssize_t n = ::recv(stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0) return;  // a pipelined request: leave it for read_request, stop watching
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return watch_socket(generation);  // a spurious wake-up
      }
    }
    on_client_gone();  // EOF (n == 0), a reset or another socket error
  }

  void on_client_gone() {
    spdlog::debug("request {}: the client closed its connection before the answer", request_id_);
    waiting_ = false;
    auto watch = std::move(watch_);
    close();  // frees the descriptor now; the handler's late answer finds waiting_ false
    if (watch) watch->gone();
  }

  // The answer is decided (or the session closes): no more watching, no late gone().
  void stop_watching() {
    if (watching_) {
      watching_ = false;
      beast::error_code ec;
      stream_.socket().cancel(ec);  // only the wait is outstanding while a handler holds the request
    }
    if (watch_) std::exchange(watch_, nullptr)->clear();
  }

  void release_connection_slot() {
    if (std::exchange(holds_slot_, false)) shared_->open.fetch_sub(1);
  }

  void write(bhttp::response<bhttp::string_body> response, bool close_after) {
    response_ = std::move(response);
    // A peer that never reads its answer must not hold the session for ever.
    stream_.expires_after(shared_->options.read_timeout);
    bhttp::async_write(stream_, response_,
                       [self = shared_from_this(), close_after](beast::error_code ec, size_t) {
                         if (ec) return self->close();
                         if (close_after) return self->linger_close();
                         self->response_ = {};
                         self->read_request();
                       });
  }

  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::min<std::chrono::milliseconds>(shared_->options.read_timeout, kLingerMax));
    drain();
  }

  void drain() {
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();  // EOF from the peer, or the linger time is over
      self->drain();
    });
  }

  std::shared_ptr<ServerShared> shared_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;  // alive until its write completes
  asio::steady_timer handler_timer_;
  std::string remote_;
  std::string request_id_;
  std::list<std::weak_ptr<Session>>::iterator registry_entry_;
  bool registered_ = false;
  bool first_request_ = true;
  uint64_t generation_ = 0;             // counts requests: a stale answer carries an older number
  bool waiting_ = false;                // the handler has the request and has not answered yet
  bool holds_slot_ = true;              // counted in shared_->open until the socket closes
  bool watching_ = false;               // an async_wait for the client's close is outstanding
  std::shared_ptr<ClientWatch> watch_;  // the pending request's, until it is answered
  bool keep_alive_ = false;
  bool head_ = false;
  unsigned version_ = 11;
};

void start_session(asio::io_context& io_context, int fd, bool ipv6,
                   const std::shared_ptr<ServerShared>& shared) {
  try {
    tcp::socket socket(asio::make_strand(io_context));
    beast::error_code ec;
    socket.assign(ipv6 ? tcp::v6() : tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      spdlog::warn("http: cannot adopt an accepted connection: {}", ec.message());
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);  // answers are one write; do not wait for ACKs
    const auto peer = socket.remote_endpoint(ec);
    std::string remote = ec ? std::string() : peer.address().to_string();
    std::make_shared<Session>(std::move(socket), shared, std::move(remote))->start();
  } catch (const std::exception& e) {
    spdlog::error("http: cannot start a session: {}", e.what());
  }
}

void close_sessions(ServerShared& shared) {
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(shared.sessions_mutex);
    for (const auto& weak : shared.sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
  }
  // Outside the lock: a session released here unregisters itself under that lock.
  for (const auto& session : live) session->close();
}

}  // namespace unipay::http::detail
