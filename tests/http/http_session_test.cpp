// net/http_session: what a session does while a handler holds a request (a long poll) and
// has asked to hear of its client going away (Request::client). Real server on 127.0.0.1,
// raw POSIX clients that close, reset or pipeline.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "http/raw_client.hpp"
#include "net/http_server.hpp"

namespace unipay::http {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;

// Parks every request whose path starts with "/poll" (asking to hear of its client going
// away) until the test answers it; answers every other request at once with its path.
struct ParkingServer {
  ParkingServer() {
    ServerOptions options;
    options.port = 0;
    auto started = Server::start(options, [this](Request request, Responder respond) {
      if (request.path.rfind("/poll", 0) != 0) {
        Response response;
        response.body = "now " + request.path;
        return respond(std::move(response));
      }
      if (request.client) request.client->on_gone([this] { gone.fetch_add(1); });
      std::lock_guard lock(mutex);
      parked[request.path] = std::move(respond);
      changed.notify_all();
    });
    EXPECT_TRUE(started.ok());
    if (started.ok()) server = std::move(started.value());
  }

  bool wait_parked(const std::string& path) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, 5s, [&] { return parked.count(path) > 0; });
  }

  void answer(const std::string& path) {
    Responder respond;
    {
      std::lock_guard lock(mutex);
      respond = std::move(parked.at(path));
      parked.erase(path);
    }
    Response response;
    response.body = "parked " + path;
    respond(std::move(response));
  }

  // Polls `done` every 10 ms for up to `limit`; the time it took, or nullopt.
  template <class Done>
  static std::optional<std::chrono::milliseconds> within(std::chrono::milliseconds limit, Done done) {
    const auto start = std::chrono::steady_clock::now();
    while (!done()) {
      if (std::chrono::steady_clock::now() - start > limit) return std::nullopt;
      std::this_thread::sleep_for(10ms);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  }

  std::unique_ptr<Server> server;
  std::mutex mutex;
  std::condition_variable changed;
  std::map<std::string, Responder> parked;
  std::atomic<int> gone{0};
};

const std::string kPoll = "GET /poll HTTP/1.1\r\nHost: t\r\n\r\n";

// Proves issue 8 item 4 at the session: a client that closes during a long poll is seen at
// once (well within 1 s): the handler is told and the connection is released; the late
// answer is dropped harmlessly.
TEST(HttpSession, ClientCloseDuringALongPollIsSeenAtOnce) {
  ParkingServer s;
  RawClient client(s.server->port());
  ASSERT_TRUE(client.send(kPoll));
  ASSERT_TRUE(s.wait_parked("/poll"));
  EXPECT_EQ(s.server->stats().connections_open, 1u);
  client.close();
  EXPECT_TRUE(ParkingServer::within(1s, [&] { return s.gone.load() == 1; })) << "the handler was not told";
  EXPECT_TRUE(ParkingServer::within(1s, [&] { return s.server->stats().connections_open == 0; }));
  s.answer("/poll");  // the handler's late answer: nobody to send it to
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(s.gone.load(), 1);
}

// Proves the same for a reset (a crashed client or a proxy giving up), and for many polls.
TEST(HttpSession, ResetDuringLongPollsIsSeenAtOnce) {
  ParkingServer s;
  constexpr int kClients = 50;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(s.server->port()));
    ASSERT_TRUE(clients.back()->send("GET /poll" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(s.wait_parked("/poll" + std::to_string(i)));
  }
  for (auto& client : clients) client->reset();
  EXPECT_TRUE(ParkingServer::within(1s, [&] { return s.gone.load() == kClients; })) << s.gone.load();
  EXPECT_TRUE(ParkingServer::within(1s, [&] { return s.server->stats().connections_open == 0; }));
}

// Proves a pipelined request sent while a long poll waits is neither lost nor taken for a
// close: the poll is answered first, then the next request, on the same connection.
TEST(HttpSession, PipelinedRequestDuringALongPollIsServedAfterIt) {
  ParkingServer s;
  RawClient client(s.server->port());
  ASSERT_TRUE(client.send(kPoll));
  ASSERT_TRUE(s.wait_parked("/poll"));
  std::this_thread::sleep_for(100ms);  // the session is watching the socket by now
  ASSERT_TRUE(client.send("GET /next HTTP/1.1\r\nHost: t\r\n\r\n"));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(s.gone.load(), 0) << "readable data is not a close";
  s.answer("/poll");
  auto first = client.read_response();
  auto second = client.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "parked /poll");
  EXPECT_EQ(second->body, "now /next");
  EXPECT_EQ(s.gone.load(), 0);
}

// Proves the connection stays usable after an answered long poll: the watch ends with the
// answer, and a close after it is an ordinary keep-alive close, not a gone poll.
TEST(HttpSession, KeepAliveAfterAnAnsweredPoll) {
  ParkingServer s;
  RawClient client(s.server->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(kPoll));
    ASSERT_TRUE(s.wait_parked("/poll"));
    std::this_thread::sleep_for(20ms);
    s.answer("/poll");
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "parked /poll");
  }
  client.close();
  EXPECT_TRUE(ParkingServer::within(1s, [&] { return s.server->stats().connections_open == 0; }));
  EXPECT_EQ(s.gone.load(), 0);
}

}  // namespace
}  // namespace unipay::http
