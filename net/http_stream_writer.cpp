// Chunked answers page by page: at most one piece of the body is held per connection, and
// each piece is asked for only once the previous one has been written (the peer's reading
// pace bounds memory, not the size of the answer).
#include "net/http_stream_writer.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <string>
#include <utility>

#include "net/http_session.hpp"

namespace unipay::http::detail {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

class StreamWriter : public std::enable_shared_from_this<StreamWriter> {
 public:
  StreamWriter(beast::tcp_stream& stream, bhttp::response<bhttp::empty_body> head,
               std::shared_ptr<BodySource> source, StreamLimits limits, std::function<void(bool)> done)
      : stream_(stream),
        head_(std::move(head)),
        serializer_(head_),
        source_(std::move(source)),
        limits_(limits),
        done_(std::move(done)),
        executor_(stream.get_executor()),
        piece_timer_(executor_) {}

  void start() {
    head_.chunked(true);
    stream_.expires_after(limits_.write_timeout);
    bhttp::async_write_header(stream_, serializer_,
                              [self = shared_from_this()](beast::error_code ec, size_t) {
                                if (ec) return self->finish(false);
                                self->ask_piece();
                              });
  }

 private:
  void ask_piece() {
    waiting_ = true;
    piece_timer_.expires_after(limits_.piece_deadline);
    piece_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->waiting_) return;
      spdlog::error("http: a streamed answer's next piece took over {} ms; connection closed",
                    self->limits_.piece_deadline.count());
      self->waiting_ = false;
      self->finish(false);
    });
    source_->next([self = shared_from_this()](std::optional<BodyPiece> piece) {
      try {
        asio::post(self->executor_,
                   [self, piece = std::move(piece)]() mutable { self->on_piece(std::move(piece)); });
      } catch (const std::exception& e) {
        spdlog::error("http: cannot post a streamed piece: {}", e.what());
      }
    });
  }

  void on_piece(std::optional<BodyPiece> piece) {
    if (!waiting_) return;  // the deadline passed: the connection is closed already
    waiting_ = false;
    piece_timer_.cancel();
    if (!piece) return finish(false);
    piece_ = std::move(*piece);
    if (piece_.data.empty()) return after_chunk();
    stream_.expires_after(limits_.write_timeout);
    asio::async_write(stream_, bhttp::make_chunk(asio::buffer(piece_.data)),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->finish(false);
                        self->after_chunk();
                      });
  }

  void after_chunk() {
    if (!piece_.last) return ask_piece();
    for (const Header& header : piece_.trailers) {
      if (valid_header(header)) trailers_.set(header.name, header.value);
    }
    stream_.expires_after(limits_.write_timeout);
    asio::async_write(stream_, bhttp::make_chunk_last(trailers_),
                      [self = shared_from_this()](beast::error_code ec, size_t) { self->finish(!ec); });
  }

  void finish(bool ok) {
    if (!done_) return;
    source_.reset();  // releases what the source holds (the request) as soon as possible
    auto done = std::move(done_);
    done_ = nullptr;
    done(ok);
  }

  beast::tcp_stream& stream_;  // the session's: touched only while done_ (which holds the session) is set

  bhttp::response<bhttp::empty_body> head_;
  bhttp::response_serializer<bhttp::empty_body> serializer_;
  std::shared_ptr<BodySource> source_;
  StreamLimits limits_;
  std::function<void(bool)> done_;
  // The stream's strand, kept by value: a piece arriving after the deadline closed the
  // session must not reach into the (then destroyed) stream to find it.
  asio::any_io_executor executor_;
  asio::steady_timer piece_timer_;
  bool waiting_ = false;  // a piece is asked for and has not arrived
  BodyPiece piece_;       // alive until its chunk is written
  bhttp::fields trailers_;
};

}  // namespace

void set_head_fields(bhttp::response_header<>& out, const Response& in, bool no_body) {
  out.set(bhttp::field::server, "unipay");
  if (!no_body && !in.content_type.empty()) out.set(bhttp::field::content_type, in.content_type);
  for (const Header& header : in.headers) {
    if (valid_header(header)) {
      out.set(header.name, header.value);
    } else {
      spdlog::error("http: handler header '{}' is not valid; dropped", header.name.substr(0, 64));
    }
  }
}

void write_streamed(beast::tcp_stream& stream, bhttp::response<bhttp::empty_body> head,
                    std::shared_ptr<BodySource> source, StreamLimits limits, std::function<void(bool)> done) {
  std::make_shared<StreamWriter>(stream, std::move(head), std::move(source), limits, std::move(done))
      ->start();
}

}  // namespace unipay::http::detail
