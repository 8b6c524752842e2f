// The provider-call runner over the real Beast client against a loopback Server: steps
// chained to their result, methods, headers both ways, the named limits (calls per
// operation, operations in flight, answer size), unreachable providers, and connection reuse.
#include "net/provider_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "net/http_server.hpp"

namespace unipay {
namespace {

using namespace std::chrono_literals;
using channels::OutboundRequest;
using channels::OutboundResponse;
using channels::Step;

class ProviderClientTest : public ::testing::Test {
 protected:
  void SetUp() override { start_server(60000ms); }

  void start_server(std::chrono::milliseconds idle_timeout) {
    http::ServerOptions options;
    options.port = 0;
    options.io_threads = 2;
    options.idle_timeout = idle_timeout;
    auto started = http::Server::start(options, [this](http::Request request, http::Responder respond) {
      http::Response response;
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(request);
      }
      if (request.path == "/slow") std::this_thread::sleep_for(300ms);
      response.headers.push_back({"x-provider-serial", "SERIAL_1"});
      response.body =
          request.path == "/large" ? std::string(8000, 'x') : request.method + " " + request.target;
      respond(std::move(response));
    });
    ASSERT_TRUE(started.ok());
    server_ = std::move(*started);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  http::ClientOptions transport_options() const {
    config::Config config;
    config.providers.allow_private = true;
    config.providers.max_response_bytes = 4096;
    return provider_transport_options(config);
  }

  template <class T>
  Result<T> run(const ProviderClient& client, Step<T> step) {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto future = promise->get_future();
    client.run<T>(std::move(step), [promise](Result<T> result) { promise->set_value(std::move(result)); });
    if (future.wait_for(5s) != std::future_status::ready) {
      ADD_FAILURE() << "done() was not called";
      return make_error(Errc::server_busy, "test: no answer");
    }
    return future.get();
  }

  std::vector<http::Request> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

  std::unique_ptr<http::Server> server_;
  std::mutex mutex_;
  std::vector<http::Request> seen_;
};

// A step that makes `calls` GETs of /n, then answers the last body.
Step<std::string> chain(const std::string& base, int calls) {
  if (calls == 0) return std::string("no call");
  return Step<std::string>::call(OutboundRequest{"GET", base + "/" + std::to_string(calls), {}, ""},
                                 [base, calls](const OutboundResponse& response) -> Step<std::string> {
                                   if (calls == 1) return response.body;
                                   return chain(base, calls - 1);
                                 });
}

ProviderClientOptions options(size_t max_calls = 4, size_t max_operations = 16) {
  ProviderClientOptions o;
  o.timeout_ms = 2000ms;
  o.max_calls_per_operation = max_calls;
  o.max_concurrent_operations = max_operations;
  return o;
}

// Proves a step's request goes out with its method, headers and body, and the answer's
// status, headers (lowercased) and whole body reach the adapter's continuation.
TEST_F(ProviderClientTest, RequestAndAnswerPassThrough) {
  auto transport = http::make_http_transport(server_->io_context(), transport_options());
  ProviderClient client(*transport, options());
  OutboundRequest request{"POST",
                          url("/gateway.do?charset=utf-8"),
                          {{"content-type", "application/x-www-form-urlencoded"}, {"authorization", "SIG"}},
                          "a=1&b=2"};
  auto step = Step<OutboundResponse>::call(request, [](const OutboundResponse& r) { return r; });
  auto answer = run(client, std::move(step));
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "POST /gateway.do?charset=utf-8");
  EXPECT_EQ(answer->header("x-provider-serial"), "SERIAL_1");
  const http::Request in = seen().back();
  EXPECT_EQ(in.header("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(in.header("authorization"), "SIG");
  EXPECT_EQ(in.body, "a=1&b=2");

  auto get = run(client, chain(url(""), 1));
  ASSERT_TRUE(get.ok()) << get.error().message;
  EXPECT_EQ(*get, "GET /1");
  EXPECT_EQ(seen().back().header("content-type"), "");  // a GET without a body has none
}

// Proves steps are followed to the result, a finished step needs no call, and an
// operation chaining more calls than max_calls_per_operation is refused (server_busy).
TEST_F(ProviderClientTest, ChainsStepsUpToTheLimit) {
  auto transport = http::make_http_transport(server_->io_context(), transport_options());
  ProviderClient client(*transport, options(3));
  auto three = run(client, chain(url(""), 3));
  ASSERT_TRUE(three.ok()) << three.error().message;
  EXPECT_EQ(*three, "GET /1");
  EXPECT_EQ(seen().size(), 3u);
  EXPECT_EQ(*run(client, chain(url(""), 0)), "no call");
  auto four = run(client, chain(url(""), 4));
  ASSERT_FALSE(four.ok());
  EXPECT_EQ(four.error().code, Errc::server_busy);
  EXPECT_NE(four.error().message.find("too many provider calls"), std::string::npos);
  EXPECT_EQ(seen().size(), 6u);  // the fourth call of that operation was never made
  // The slot is released when the io thread drops the finished operation, just after it
  // answered: wait for that (bounded), rather than racing it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (client.operations_in_flight() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(client.operations_in_flight(), 0u);
}

// Proves an answer longer than providers.max_response_bytes is refused, not cut, and an
// unreachable provider is server_busy (the outcome is unknown).
TEST_F(ProviderClientTest, LongAnswersAndUnreachableProvidersAreErrors) {
  auto transport = http::make_http_transport(server_->io_context(), transport_options());
  ProviderClient client(*transport, options());
  auto step = Step<std::string>::call(OutboundRequest{"GET", url("/large"), {}, ""},
                                      [](const OutboundResponse& r) -> Step<std::string> { return r.body; });
  auto large = run(client, std::move(step));
  ASSERT_FALSE(large.ok());
  EXPECT_EQ(large.error().code, Errc::server_busy);
  EXPECT_NE(large.error().message.find("longer than 4096 bytes"), std::string::npos) << large.error().message;

  auto down = run(client, chain("http://127.0.0.1:1", 1));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, Errc::server_busy);
}

// Proves provider URLs on private addresses are refused unless providers.allow_private.
TEST_F(ProviderClientTest, PrivateAddressesNeedAllowPrivate) {
  auto transport =
      http::make_http_transport(server_->io_context(), provider_transport_options(config::Config{}));
  ProviderClient client(*transport, options());
  auto refused = run(client, chain(url(""), 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("private address"), std::string::npos);
  EXPECT_TRUE(seen().empty());
}

// Proves beyond max_concurrent_operations an operation is refused at once, and the slot
// comes back when the running one ends.
TEST_F(ProviderClientTest, OperationsInFlightAreBounded) {
  auto transport = http::make_http_transport(server_->io_context(), transport_options());
  ProviderClient client(*transport, options(4, 1));
  auto slow = std::make_shared<std::promise<Result<std::string>>>();
  client.run<std::string>(
      Step<std::string>::call(OutboundRequest{"GET", url("/slow"), {}, ""},
                              [](const OutboundResponse& r) -> Step<std::string> { return r.body; }),
      [slow](Result<std::string> r) { slow->set_value(std::move(r)); });
  EXPECT_EQ(client.operations_in_flight(), 1u);
  auto refused = run(client, chain(url(""), 1));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("in flight"), std::string::npos);
  auto slow_result = slow->get_future();
  ASSERT_EQ(slow_result.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(*slow_result.get(), "GET /slow");
  std::this_thread::sleep_for(20ms);  // the slot is given back after done() returns
  EXPECT_TRUE(run(client, chain(url(""), 1)).ok());
}

// Proves connections are reused: many sequential calls open one connection; with reuse
// off (max_idle_connections 0) each call opens its own.
TEST_F(ProviderClientTest, ConnectionsAreReused) {
  auto transport = http::make_http_transport(server_->io_context(), transport_options());
  ProviderClient client(*transport, options());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(run(client, chain(url(""), 2)).ok());
  EXPECT_EQ(server_->stats().connections_accepted, 1u);

  http::ClientOptions no_reuse = transport_options();
  no_reuse.max_idle_connections = 0;
  auto fresh = http::make_http_transport(server_->io_context(), no_reuse);
  ProviderClient once(*fresh, options());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(run(once, chain(url(""), 1)).ok());
  EXPECT_EQ(server_->stats().connections_accepted, 4u);
}

// Proves a kept-alive connection the provider closed while idle is not used for the next
// call (it is dropped, or the call reconnects): the call still succeeds.
TEST_F(ProviderClientTest, IdleConnectionClosedByPeerIsReplaced) {
  server_.reset();
  start_server(100ms);  // the server drops keep-alive connections idle for 100 ms
  auto transport = http::make_http_transport(server_->io_context(), transport_options());
  ProviderClient client(*transport, options());
  ASSERT_TRUE(run(client, chain(url(""), 1)).ok());
  std::this_thread::sleep_for(400ms);
  auto again = run(client, chain(url(""), 1));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(server_->stats().connections_accepted, 2u);
}

}  // namespace
}  // namespace unipay
