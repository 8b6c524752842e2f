#include "bench/provider_sim/provider_sim.hpp"

#include <chrono>

#include "bench/provider_sim/alipay_gateway.hpp"
#include "bench/provider_sim/apple_store.hpp"
#include "bench/provider_sim/control_api.hpp"
#include "bench/provider_sim/google_play.hpp"
#include "bench/provider_sim/stripe_api.hpp"
#include "bench/provider_sim/wechatpay_api.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"

namespace unipay::sim {
namespace {

constexpr size_t kMaxBodyBytes = 1 << 20;

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

http::Response not_found() {
  http::Response response;
  response.status = 404;
  response.body =
      R"({"error":"not a simulated endpoint: /gateway.do, /v3/..., /v1/..., /inApps/..., /token, )"
      R"(/androidpublisher/..., /sim/..."})";
  return response;
}

// A provider down for maintenance (POST /sim/outage).
http::Response unavailable() {
  http::Response response;
  response.status = 503;
  response.body = R"({"error":"simulated outage"})";
  return response;
}

}  // namespace

struct ProviderSim::Impl {
  SimState state;
  std::string host;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<DeliveryTransport> transport;  // sends notifications (to loopback too)
  AppleStore apple;
  GooglePlay google;

  // A notification the provider sends after answering; a lost one is not resent (unipay's
  // janitor or a repeated request recovers it, as with a provider's).
  void send(LaterNotification later) {
    OutboundRequest request;
    request.url = std::move(later.url);
    for (auto& header : later.notification.headers) request.headers.emplace_back(header.name, header.value);
    request.body = std::move(later.notification.body);
    request.timeout = std::chrono::milliseconds{10000};
    transport->post(std::move(request), [](Result<OutboundResponse>) {});
  }

  void handle(const http::Request& request, const http::Responder& respond) {
    const bool provider_api = request.path == "/gateway.do" || request.path.starts_with("/v3/") ||
                              request.path.starts_with("/v1/") || AppleStore::serves(request.path) ||
                              GooglePlay::serves(request.path);
    if (provider_api && state.take_outage()) return respond(unavailable());
    if (AppleStore::serves(request.path)) return respond(apple.api(request, now_s()));
    if (request.path.starts_with("/sim/apple/")) return respond(apple.control(request, now_s()));
    if (GooglePlay::serves(request.path)) return respond(google.api(request, now_s()));
    if (request.path.starts_with("/sim/google/"))
      return google.control(*transport, request, now_s(), respond);
    if (request.path == "/gateway.do") return respond(alipay_gateway(state, request, now_s()));
    if (request.path.starts_with("/v3/")) {
      std::vector<LaterNotification> later;
      respond(wechatpay_api(state, request, now_s(), later));
      for (auto& n : later) send(std::move(n));
      return;
    }
    if (request.path.starts_with("/v1/")) return respond(stripe_api(state, request, now_s()));
    if (request.path.starts_with("/sim/")) return control_api(state, *transport, request, now_s(), respond);
    respond(not_found());
  }
};

Result<std::unique_ptr<ProviderSim>> ProviderSim::start(const SimOptions& options) {
  std::unique_ptr<ProviderSim> sim(new ProviderSim());
  sim->impl_ = std::make_unique<Impl>();
  Impl* impl = sim->impl_.get();
  impl->host = options.host;
  http::ServerOptions server_options;
  server_options.host = options.host;
  server_options.port = options.port;
  server_options.io_threads = options.io_threads;
  server_options.max_body_bytes = kMaxBodyBytes;
  auto server = http::Server::start(server_options, [impl](http::Request request, http::Responder respond) {
    impl->handle(request, respond);
  });
  if (!server) return server.error();
  impl->server = std::move(*server);
  http::ClientOptions client;
  client.allow_private_addresses = true;  // notifications go to a unipay on loopback
  impl->transport = http::make_http_transport(impl->server->io_context(), client);
  return sim;
}

ProviderSim::~ProviderSim() { stop(); }

uint16_t ProviderSim::port() const { return impl_->server->port(); }

std::string ProviderSim::base_url() const {
  const bool ipv6 = impl_->host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + impl_->host + "]" : impl_->host) + ":" + std::to_string(port());
}

std::string ProviderSim::alipay_url() const { return base_url() + "/gateway.do"; }
std::string ProviderSim::wechatpay_url() const { return base_url(); }
SimState& ProviderSim::state() { return impl_->state; }

void ProviderSim::stop() {
  if (impl_ && impl_->server) impl_->server->stop();
}

}  // namespace unipay::sim
