#include "net/provider_client.hpp"

#include <limits>

namespace unipay {

ProviderClientOptions provider_client_options(const config::Config& config) {
  ProviderClientOptions options;
  options.timeout_ms = config.delivery.timeout_ms;
  options.max_calls_per_operation = config.providers.max_calls_per_operation;
  options.max_concurrent_operations = config.providers.max_concurrent_calls;
  return options;
}

http::ClientOptions provider_transport_options(const config::Config& config) {
  http::ClientOptions options;
  options.allow_private_addresses = config.providers.allow_private;
  options.max_response_body_bytes = config.providers.max_response_bytes;
  options.max_in_flight = config.providers.max_concurrent_calls;  // one call per operation at a time
  options.max_idle_connections = config.providers.max_idle_connections;
  options.idle_timeout = config.providers.idle_connection_ms;
  return options;
}

ProviderClient::ProviderClient(DeliveryTransport& transport, ProviderClientOptions options)
    : core_(std::make_shared<Core>(transport, options)) {}

ProviderClient::SlotPtr ProviderClient::acquire() const {
  if (core_->in_flight.fetch_add(1) >= core_->options.max_concurrent_operations) {
    core_->in_flight.fetch_sub(1);
    return nullptr;
  }
  return std::make_shared<Slot>(core_);
}

Error ProviderClient::too_many_calls() {
  return make_error(Errc::server_busy, "too many provider calls for one operation");
}

void ProviderClient::send(const Core& core, const channels::OutboundRequest& request, Answer answer) {
  OutboundRequest out;
  out.method = request.method;
  out.url = request.url;
  out.headers.reserve(request.headers.size());
  for (const auto& header : request.headers) out.headers.emplace_back(header.name, header.value);
  out.body = request.body;
  out.timeout = core.options.timeout_ms;
  out.kept_body_bytes = std::numeric_limits<size_t>::max();  // the answer is signed: all of it counts
  out.whole_body = true;
  core.transport.post(std::move(out), [answer = std::move(answer)](Result<OutboundResponse> response) {
    if (!response) return answer(response.error());
    channels::OutboundResponse in;
    in.status = response->status;
    in.body = std::move(response->body);
    in.headers.reserve(response->headers.size());
    for (auto& [name, value] : response->headers) in.headers.push_back({std::move(name), std::move(value)});
    answer(std::move(in));
  });
}

}  // namespace unipay
