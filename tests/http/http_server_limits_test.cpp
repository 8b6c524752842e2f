// The HTTP server's connection limit, shutdown with open connections, the io poster and
// answers that must carry no body; over 127.0.0.1 with port 0.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "http/raw_client.hpp"
#include "net/http_server.hpp"

namespace unipay::http {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;

std::unique_ptr<Server> start_server(ServerOptions options, RequestHandler handler) {
  options.port = 0;
  auto started = Server::start(options, std::move(handler));
  EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
  return started.ok() ? std::move(started.value()) : nullptr;
}

void answer_ok(Request, Responder respond) { respond(Response{200, "application/json", {}, "{}"}); }

const std::string kGet = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

// Polls `condition` for up to two seconds.
template <class F>
bool eventually(F condition) {
  for (int i = 0; i < 200; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

// Proves: with max_connections = 2, a third connection is closed at once and counted, and a
// slot freed by a closing client is usable again.
TEST(HttpServerLimits, ConnectionLimitClosesExtraConnections) {
  ServerOptions options;
  options.max_connections = 2;
  auto server = start_server(options, answer_ok);
  ASSERT_TRUE(server);
  RawClient first(server->port());
  RawClient second(server->port());
  for (RawClient* client : {&first, &second}) {  // a full round trip: both sessions exist
    ASSERT_TRUE(client->send(kGet));
    ASSERT_TRUE(client->read_response());
  }
  RawClient third(server->port());
  ASSERT_TRUE(third.connected());  // the kernel accepts; the server then closes it
  EXPECT_TRUE(third.closed_by_peer(2s));
  EXPECT_EQ(server->stats().connections_refused, 1u);
  EXPECT_EQ(server->stats().connections_open, 2u);

  first.close();
  ASSERT_TRUE(eventually([&] { return server->stats().connections_open == 1; }));
  RawClient fourth(server->port());
  ASSERT_TRUE(fourth.send(kGet));
  auto response = fourth.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

// Proves: stop() returns promptly with idle keep-alive connections and a request whose
// handler never answers, and the clients see their connections closed.
TEST(HttpServerLimits, StopWithOpenConnectionsIsPrompt) {
  auto server = start_server({}, [](Request request, Responder respond) {
    if (request.path == "/never") return;  // a handler bug: the responder is dropped
    respond(Response{});
  });
  ASSERT_TRUE(server);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RawClient>(server->port()));
    ASSERT_TRUE(clients.back()->send(kGet));
    ASSERT_TRUE(clients.back()->read_response());
  }
  RawClient waiting(server->port());
  ASSERT_TRUE(waiting.send("GET /never HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return server->stats().requests == 4; }));

  const auto start = std::chrono::steady_clock::now();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  server->stop();  // twice is harmless
  for (auto& client : clients) EXPECT_TRUE(client->closed_by_peer(2s));
  EXPECT_TRUE(waiting.closed_by_peer(2s));
  RawClient late(server->port());
  EXPECT_FALSE(late.connected() && late.send(kGet) && late.read_response().has_value());
}

// Proves: poster() runs functions on an io thread, not on the caller's.
TEST(HttpServerLimits, PosterRunsOnIoThread) {
  auto server = start_server({}, answer_ok);
  ASSERT_TRUE(server);
  std::promise<std::thread::id> ran;
  server->poster()([&ran] { ran.set_value(std::this_thread::get_id()); });
  auto future = ran.get_future();
  ASSERT_EQ(future.wait_for(2s), std::future_status::ready);
  EXPECT_NE(future.get(), std::this_thread::get_id());
}

// Proves: a 204 answer goes out without body or Content-Type, and the connection stays usable.
TEST(HttpServerLimits, NoContentHasNoBody) {
  auto server = start_server({}, [](Request, Responder respond) {
    respond(Response{204, "application/json", {}, "ignored"});
  });
  ASSERT_TRUE(server);
  RawClient client(server->port());
  ASSERT_TRUE(client.send(kGet));
  ASSERT_TRUE(client.send(kGet));
  for (int i = 0; i < 2; ++i) {
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 204);
    EXPECT_EQ(response->head.find("content-type"), std::string::npos);
    EXPECT_EQ(response->head.find("content-length"), std::string::npos);
  }
}

// Proves: a port already in use is an error value, not an exception.
TEST(HttpServerLimits, PortInUseIsAnError) {
  auto server = start_server({}, answer_ok);
  ASSERT_TRUE(server);
  ServerOptions options;
  options.port = server->port();
  auto second = Server::start(options, answer_ok);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("cannot listen"), std::string::npos);
  options.host = "not an address";
  EXPECT_FALSE(Server::start(options, answer_ok).ok());
}

}  // namespace
}  // namespace unipay::http
