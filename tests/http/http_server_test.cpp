// The Beast HTTP server over 127.0.0.1 (port 0): request values, keep-alive, the size limits
// with their JSON envelopes, deadlines, the connection limit and shutdown.
#include "net/http_server.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>

#include "http/raw_client.hpp"

namespace unipay::http {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;
using testing::RawResponse;

// Answers with "METHOD path|query|x-test header|body" and keeps the last request.
struct EchoServer {
  explicit EchoServer(ServerOptions options = {}) {
    options.port = 0;
    auto started = Server::start(options, [this](Request request, Responder respond) {
      Response response;
      response.content_type = "text/plain";
      response.headers.push_back({"X-Echo", "yes"});
      response.body = request.method + " " + request.path + "|" + request.query + "|" +
                      std::string(request.header("x-test")) + "|" + request.body;
      {
        std::lock_guard lock(mutex);
        last = request;
      }
      respond(std::move(response));
    });
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    if (started.ok()) server = std::move(started.value());
  }
  uint16_t port() const { return server->port(); }
  Request last_request() {
    std::lock_guard lock(mutex);
    return last;
  }

  std::unique_ptr<Server> server;
  std::mutex mutex;
  Request last;
};

std::string post(std::string_view target, const std::string& body, std::string_view extra = "") {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra) + "\r\n" + body;
}

// Proves: the handler sees method, split path/query, lowercased header names, the body,
// a 16-hex request id and the peer address; the answer carries the framing headers.
TEST(HttpServer, EchoesRequestValues) {
  EchoServer echo;
  RawClient client(echo.port());
  ASSERT_TRUE(client.send(post("/v1/bills?a=1&b=2", "{\"x\":1}", "X-Test: hello\r\n")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST /v1/bills|a=1&b=2|hello|{\"x\":1}");
  EXPECT_NE(response->head.find("server: unipay"), std::string::npos);
  EXPECT_NE(response->head.find("content-type: text/plain"), std::string::npos);
  EXPECT_NE(response->head.find("x-echo: yes"), std::string::npos);
  const Request seen = echo.last_request();
  EXPECT_EQ(seen.target, "/v1/bills?a=1&b=2");
  EXPECT_EQ(seen.remote_address, "127.0.0.1");
  EXPECT_EQ(seen.request_id.size(), 16u);
  EXPECT_EQ(seen.request_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_TRUE(seen.has_header("x-test"));
}

// Proves: two requests share one connection, and "Connection: close" ends it after the answer.
TEST(HttpServer, KeepAliveThenConnectionClose) {
  EchoServer echo;
  RawClient client(echo.port());
  ASSERT_TRUE(client.send(post("/one", "1")));
  auto first = client.read_response();
  ASSERT_TRUE(client.send(post("/two", "2")));
  auto second = client.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "POST /one|||1");
  EXPECT_EQ(second->body, "POST /two|||2");
  EXPECT_EQ(echo.server->stats().connections_accepted, 1u);
  EXPECT_EQ(echo.server->stats().requests, 2u);
  ASSERT_TRUE(client.send(post("/three", "3", "Connection: close\r\n")));
  auto third = client.read_response();
  ASSERT_TRUE(third);
  EXPECT_NE(third->head.find("connection: close"), std::string::npos);
  EXPECT_TRUE(client.closed_by_peer(2s));
}

// Proves: a body of exactly max_body_bytes (65,536) is accepted, one more byte is 413 with
// the payload_too_large envelope, and that connection is closed.
TEST(HttpServer, BodyLimitIsExact) {
  EchoServer echo;
  RawClient ok(echo.port());
  ASSERT_TRUE(ok.send(post("/big", std::string(65536, 'a'))));
  auto accepted = ok.read_response();
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200);
  EXPECT_EQ(accepted->body.size(), std::string("POST /big|||").size() + 65536);

  RawClient big(echo.port());
  ASSERT_TRUE(big.send(post("/big", std::string(65537, 'a'))));
  auto refused = big.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  EXPECT_NE(refused->head.find("content-type: application/json"), std::string::npos);
  EXPECT_EQ(refused->body,
            R"({"error":{"code":"payload_too_large","ret":6,"message":"request body exceeds 65536 bytes"}})");
  EXPECT_TRUE(big.closed_by_peer(3s));
}

// Proves: "Expect: 100-continue" gets its interim answer, so clients such as curl send at once.
TEST(HttpServer, AnswersExpectContinue) {
  EchoServer echo;
  RawClient client(echo.port());
  ASSERT_TRUE(
      client.send("POST /c HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("ok"));
  auto final_response = client.read_response();
  ASSERT_TRUE(final_response);
  EXPECT_EQ(final_response->body, "POST /c|||ok");
}

// Proves: a 9 KiB header block is 431 header_too_large (ret 6), then the connection closes.
TEST(HttpServer, HeaderLimitIs431) {
  EchoServer echo;
  RawClient client(echo.port());
  ASSERT_TRUE(client.send(post("/h", "", "X-Big: " + std::string(9 * 1024, 'h') + "\r\n")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_NE(response->body.find(R"("code":"header_too_large","ret":6)"), std::string::npos);
  EXPECT_TRUE(client.closed_by_peer(3s));
}

// Proves: bytes that are not HTTP get 400 invalid_parameter, then the connection closes.
TEST(HttpServer, MalformedRequestIs400) {
  EchoServer echo;
  RawClient client(echo.port());
  ASSERT_TRUE(client.send("THIS IS NOT HTTP\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_NE(response->body.find(R"("code":"invalid_parameter","ret":6)"), std::string::npos);
  EXPECT_TRUE(client.closed_by_peer(3s));
}

// Proves: a client that sends half a request is cut off after read_timeout (300 ms).
TEST(HttpServer, SlowClientIsCutAfterReadTimeout) {
  ServerOptions options;
  options.read_timeout = 300ms;
  EchoServer echo(options);
  RawClient client(echo.port());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.send("POST /slow HTTP/1.1\r\nHost: t\r\nContent-Len"));
  EXPECT_TRUE(client.closed_by_peer(3s));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 1500ms);
}

// Proves: a keep-alive connection with no next request is closed after idle_timeout.
TEST(HttpServer, IdleKeepAliveIsClosed) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  EchoServer echo(options);
  RawClient client(echo.port());
  ASSERT_TRUE(client.send(post("/a", "")));
  ASSERT_TRUE(client.read_response());
  EXPECT_TRUE(client.closed_by_peer(3s));
}

// Proves: the responder may be called later from a thread the server does not own.
TEST(HttpServer, ResponderFromAnotherThread) {
  std::mutex mutex;
  std::vector<std::thread> workers;
  ServerOptions options;
  options.port = 0;
  auto server = Server::start(options, [&](Request request, Responder respond) {
    std::lock_guard lock(mutex);
    workers.emplace_back([respond, path = request.path] {
      std::this_thread::sleep_for(50ms);
      Response response;
      response.body = "late " + path;
      respond(std::move(response));
    });
  });
  ASSERT_TRUE(server.ok());
  RawClient client(server.value()->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(post("/t" + std::to_string(i), "")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "late /t" + std::to_string(i));
  }
  std::lock_guard lock(mutex);
  for (auto& worker : workers) worker.join();
}

// Proves: a handler that throws gets 503 server_busy (ret -1) instead of a hung connection.
TEST(HttpServer, ThrowingHandlerIs503) {
  ServerOptions options;
  options.port = 0;
  auto server = Server::start(options, [](Request, Responder) { throw std::runtime_error("bug"); });
  ASSERT_TRUE(server.ok());
  RawClient client(server.value()->port());
  ASSERT_TRUE(client.send(post("/x", "")));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_NE(response->body.find(R"("code":"server_busy","ret":-1)"), std::string::npos);
}

}  // namespace
}  // namespace unipay::http
