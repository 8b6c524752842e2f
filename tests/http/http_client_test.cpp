// The outbound Beast transport against loopback peers: our own Server as a game server,
// a listener that never answers, a closed port. Runs on the Server's io threads.
#include "net/http_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "http/raw_client.hpp"
#include "net/http_server.hpp"

namespace unipay::http {
namespace {

using namespace std::chrono_literals;

// A listening socket that never accepts: connects succeed (backlog), answers never come.
struct SilentListener {
  SilentListener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
    ::listen(fd, 16);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd); }
  int fd = -1;
  uint16_t port = 0;
};

// A loopback port with nothing listening on it (bound once, then released).
uint16_t closed_port() {
  SilentListener probe;
  return probe.port;  // closed when probe goes out of scope
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    options.io_threads = 2;
    auto started = Server::start(options, [this](Request request, Responder respond) {
      {
        std::lock_guard lock(mutex_);
        seen_ = request;
      }
      Response response;
      response.status = request.path == "/fail" ? 500 : 200;
      response.body = request.path == "/large" ? std::string(100000, 'x') : "ok:" + request.body;
      respond(std::move(response));
    });
    ASSERT_TRUE(started.ok());
    server_ = std::move(started.value());
  }

  std::unique_ptr<DeliveryTransport> transport(ClientOptions options = {}) {
    return make_http_transport(server_->io_context(), options);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  // Runs one call; fails the test if done() is not called within 5 s or is called twice.
  Result<OutboundResponse> call(DeliveryTransport& client, OutboundRequest request) {
    auto promise = std::make_shared<std::promise<Result<OutboundResponse>>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    auto future = promise->get_future();
    client.post(std::move(request), [promise, calls](Result<OutboundResponse> result) {
      if (calls->fetch_add(1) == 0) promise->set_value(std::move(result));
    });
    if (future.wait_for(5s) != std::future_status::ready) {
      ADD_FAILURE() << "done() was not called";
      return make_error(Errc::server_busy, "test: no answer");
    }
    std::this_thread::sleep_for(20ms);  // room for a wrong second call to show up
    EXPECT_EQ(calls->load(), 1);
    return future.get();
  }

  Request seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

  std::unique_ptr<Server> server_;
  std::mutex mutex_;
  Request seen_;
};

ClientOptions allow_loopback() {
  ClientOptions options;
  options.allow_private_addresses = true;
  return options;
}

// Proves: a POST carries its JSON body and headers; 200 and 500 come back as statuses.
TEST_F(HttpClientTest, ReturnsStatusAndBody) {
  auto client = transport(allow_loopback());
  auto ok = call(*client, {url("/deliver?x=1"), {{"X-Unipay-App", "app1"}}, "{\"a\":1}", 2000ms});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "ok:{\"a\":1}");
  const Request request = seen();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/deliver?x=1");
  EXPECT_EQ(request.header("content-type"), "application/json");
  EXPECT_EQ(request.header("x-unipay-app"), "app1");
  EXPECT_EQ(request.header("host"), "127.0.0.1:" + std::to_string(server_->port()));

  auto failed = call(*client, {url("/fail"), {}, "{}", 2000ms});
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, 500);
}

// Proves: an answer larger than max_response_body_bytes still yields its status, and the
// kept body is at most 4 KiB.
TEST_F(HttpClientTest, LargeAnswerKeepsStatus) {
  ClientOptions options = allow_loopback();
  options.max_response_body_bytes = 1024;
  auto client = transport(options);
  auto result = call(*client, {url("/large"), {}, "{}", 2000ms});
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->status, 200);
  EXPECT_LE(result->body.size(), 4096u);
}

// Proves: the method is the request's, a GET without a body carries no content type, the
// answer's headers come back lowercased, and whole_body refuses an answer beyond the limit.
TEST_F(HttpClientTest, MethodHeadersAndWholeBody) {
  ClientOptions options = allow_loopback();
  options.max_response_body_bytes = 1024;
  auto client = transport(options);
  OutboundRequest get{url("/q?a=1"), {{"accept", "application/json"}}, "", 2000ms};
  get.method = "GET";
  auto answer = call(*client, get);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(seen().method, "GET");
  EXPECT_EQ(seen().header("content-type"), "");
  EXPECT_EQ(seen().header("accept"), "application/json");
  bool has_length = false;
  for (const auto& [name, value] : answer->headers) has_length |= name == "content-length" && value == "3";
  EXPECT_TRUE(has_length);

  OutboundRequest whole{url("/large"), {}, "{}", 2000ms};
  whole.whole_body = true;
  auto refused = call(*client, whole);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("longer than 1024 bytes"), std::string::npos);

  OutboundRequest bad{url("/"), {}, "", 2000ms};
  bad.method = "BREW";
  EXPECT_FALSE(call(*client, bad).ok());
}

// Proves: with the delivery settings, deliveries to one game server reuse one kept-alive
// connection (20 calls, 1 connection accepted), and keepalive_max_idle = 0 opens one per call.
TEST_F(HttpClientTest, DeliveryOptionsKeepConnectionsAlive) {
  config::DeliveryConfig delivery;
  delivery.allow_private = true;
  {
    auto client = transport(delivery_client_options(delivery));
    const uint64_t before = server_->stats().connections_accepted;
    for (int i = 0; i < 20; ++i) {
      auto ok = call(*client, {url("/deliver"), {}, "{}", 2000ms});
      ASSERT_TRUE(ok.ok()) << ok.error().message;
      EXPECT_EQ(ok->status, 200);
    }
    // Exactly one, on a loaded machine too: a parked connection is not dropped for a
    // readiness the reactor reports late for the answer already read.
    EXPECT_EQ(server_->stats().connections_accepted - before, 1u);
  }
  delivery.keepalive_max_idle = 0;
  auto client = transport(delivery_client_options(delivery));
  const uint64_t before = server_->stats().connections_accepted;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(call(*client, {url("/deliver"), {}, "{}", 2000ms}).ok());
  EXPECT_EQ(server_->stats().connections_accepted - before, 5u);
}

// Proves: a refused connection is an error value.
TEST_F(HttpClientTest, ConnectRefusedIsError) {
  auto client = transport(allow_loopback());
  auto result = call(*client, {"http://127.0.0.1:" + std::to_string(closed_port()) + "/", {}, "{}", 2000ms});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::server_busy);
  EXPECT_NE(result.error().message.find("connect"), std::string::npos) << result.error().message;
}

// Proves: a peer that never answers fails the call at its deadline (300 ms), not later.
TEST_F(HttpClientTest, SilentPeerTimesOut) {
  SilentListener silent;
  auto client = transport(allow_loopback());
  const auto start = std::chrono::steady_clock::now();
  auto result = call(*client, {"http://127.0.0.1:" + std::to_string(silent.port) + "/", {}, "{}", 300ms});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("timed out"), std::string::npos) << result.error().message;
  EXPECT_GE(elapsed, 280ms);
  EXPECT_LT(elapsed, 1000ms);
}

// Proves: loopback targets are refused unless private addresses are allowed.
TEST_F(HttpClientTest, PrivateAddressRefusedUnlessAllowed) {
  auto strict = transport();
  auto refused = call(*strict, {url("/deliver"), {}, "{}", 2000ms});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message, "delivery to private address 127.0.0.1 refused");
  auto by_name =
      call(*strict, {"http://localhost:" + std::to_string(server_->port()) + "/", {}, "{}", 2000ms});
  ASSERT_FALSE(by_name.ok());
  EXPECT_NE(by_name.error().message.find("private address"), std::string::npos) << by_name.error().message;
  EXPECT_EQ(server_->stats().requests, 0u);
}

// Proves: bad URLs fail with invalid_parameter, and done() still runs (on an io thread).
TEST_F(HttpClientTest, BadUrlIsError) {
  auto client = transport(allow_loopback());
  auto result = call(*client, {"ftp://127.0.0.1/", {}, "{}", 2000ms});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::invalid_parameter);
}

// Proves: beyond max_in_flight a call fails at once instead of queueing.
TEST_F(HttpClientTest, InFlightLimit) {
  SilentListener silent;
  ClientOptions options = allow_loopback();
  options.max_in_flight = 1;
  auto client = transport(options);
  auto first = std::make_shared<std::promise<Result<OutboundResponse>>>();
  client->post({"http://127.0.0.1:" + std::to_string(silent.port) + "/", {}, "{}", 1000ms},
               [first](Result<OutboundResponse> result) { first->set_value(std::move(result)); });
  auto second = call(*client, {url("/"), {}, "{}", 1000ms});
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("in flight"), std::string::npos);
  auto first_result = first->get_future();
  ASSERT_EQ(first_result.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(first_result.get().ok());
}

// Proves: https to a peer that does not speak TLS fails the handshake as an error value.
TEST_F(HttpClientTest, HttpsToPlainPeerFails) {
  auto client = transport(allow_loopback());
  auto result =
      call(*client, {"https://127.0.0.1:" + std::to_string(server_->port()) + "/", {}, "{}", 2000ms});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("TLS"), std::string::npos) << result.error().message;
}

}  // namespace
}  // namespace unipay::http
