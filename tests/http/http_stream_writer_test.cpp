// Streamed answers (net/http_stream_writer): a BodySource's pieces go out as chunks with
// the trailers after the final chunk, each piece is asked for only once the previous one
// is written, and a source that fails cuts the answer so the client can tell.
#include "net/http_stream_writer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "http/raw_client.hpp"
#include "net/http_server.hpp"

namespace unipay::http {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;

// Gives `count` pieces of `piece_bytes` ('a' + index % 26), then fails or ends with a trailer.
class CountingSource : public BodySource {
 public:
  CountingSource(int count, size_t piece_bytes, bool fail_at_end)
      : count_(count), piece_bytes_(piece_bytes), fail_at_end_(fail_at_end) {}

  void next(PieceDone done) override {
    const int index = asked.fetch_add(1);
    if (index == count_ && fail_at_end_) return done(std::nullopt);
    BodyPiece piece;
    if (index < count_) piece.data.assign(piece_bytes_, static_cast<char>('a' + index % 26));
    piece.last = index == count_;
    if (piece.last) piece.trailers.push_back({"x-pieces", std::to_string(count_)});
    done(std::move(piece));
  }

  std::atomic<int> asked{0};

 private:
  int count_;
  size_t piece_bytes_;
  bool fail_at_end_;
};

struct StreamServer {
  explicit StreamServer(std::shared_ptr<CountingSource> source) : source(std::move(source)) {
    ServerOptions options;
    options.port = 0;
    auto started = Server::start(options, [this](Request, Responder respond) {
      Response response;
      response.content_type = "text/csv";
      response.headers.push_back({"trailer", "x-pieces"});
      response.stream = this->source;
      respond(std::move(response));
    });
    EXPECT_TRUE(started.ok());
    if (started.ok()) server = std::move(started.value());
  }
  std::shared_ptr<CountingSource> source;
  std::unique_ptr<Server> server;
};

std::string expected_body(int count, size_t piece_bytes) {
  std::string body;
  for (int i = 0; i < count; ++i) body.append(piece_bytes, static_cast<char>('a' + i % 26));
  return body;
}

constexpr std::string_view kGet = "GET /s HTTP/1.1\r\nHost: t\r\n\r\n";

// Proves: the pieces arrive in order as one chunked body, the trailer follows the final
// chunk, and the connection then serves the next request (keep-alive).
TEST(HttpStreamWriter, PiecesInOrderThenTrailersThenKeepAlive) {
  StreamServer s(std::make_shared<CountingSource>(40, 1000, false));
  RawClient client(s.server->port());
  ASSERT_TRUE(client.send(kGet));
  auto response = client.read_chunked_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->head.find("transfer-encoding: chunked"), std::string::npos) << response->head;
  EXPECT_NE(response->head.find("trailer: x-pieces"), std::string::npos);
  EXPECT_NE(response->head.find("content-type: text/csv"), std::string::npos);
  EXPECT_EQ(response->body, expected_body(40, 1000));
  EXPECT_EQ(response->trailers, "x-pieces: 40\r\n");
  s.source->asked = 0;
  ASSERT_TRUE(client.send(kGet));
  EXPECT_TRUE(client.read_chunked_response());
}

// Proves: memory is bounded by the peer's pace: while the client reads nothing, the source
// is asked for only as many pieces as the socket buffers hold (not all 64 MB), and the
// whole body still arrives once the client reads.
TEST(HttpStreamWriter, AsksForPiecesOnlyAsTheyAreWritten) {
  constexpr int kPieces = 1000;
  constexpr size_t kPieceBytes = 64 * 1024;
  StreamServer s(std::make_shared<CountingSource>(kPieces, kPieceBytes, false));
  RawClient client(s.server->port(), 20000ms);
  ASSERT_TRUE(client.send(kGet));
  std::this_thread::sleep_for(500ms);
  const int asked_while_not_reading = s.source->asked.load();
  EXPECT_GT(asked_while_not_reading, 0);
  EXPECT_LT(asked_while_not_reading, 200) << "pieces were produced faster than the peer read them";
  auto response = client.read_chunked_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body.size(), kPieces * kPieceBytes);
  EXPECT_EQ(s.source->asked.load(), kPieces + 1);
}

// Proves: a source that fails after some pieces closes the connection without the final
// chunk, so the client sees an incomplete answer rather than a short complete one.
TEST(HttpStreamWriter, FailedSourceCutsTheAnswer) {
  StreamServer s(std::make_shared<CountingSource>(3, 100, true));
  RawClient client(s.server->port());
  ASSERT_TRUE(client.send(kGet));
  EXPECT_FALSE(client.read_chunked_response());
  EXPECT_TRUE(client.closed_by_peer(2000ms));
}

// Proves: an HTTP/1.0 request (which cannot take a chunked answer) gets a 400 instead.
TEST(HttpStreamWriter, Http10IsRefused) {
  StreamServer s(std::make_shared<CountingSource>(3, 100, false));
  RawClient client(s.server->port());
  ASSERT_TRUE(client.send("GET /s HTTP/1.0\r\nHost: t\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_NE(response->body.find("HTTP/1.1"), std::string::npos);
  EXPECT_EQ(s.source->asked.load(), 0);
}

}  // namespace
}  // namespace unipay::http
