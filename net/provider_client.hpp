// Runs the channel adapters' outbound steps (net/channels/provider_call.hpp) asynchronously
// over the HTTP client of net/http_client (deadline, TLS verification, connection reuse):
// each request goes out through the transport, each answer goes into the adapter's
// continuation, until the operation has its result. Nothing blocks an io thread; every limit
// is named: provider operations in flight, calls per operation, answer size (the transport's
// max_response_body_bytes). Beast stays out of this header.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <utility>

#include "actors/delivery_transport.hpp"
#include "config/config.hpp"
#include "net/channels/provider_call.hpp"
#include "net/http_client.hpp"

namespace unipay {

struct ProviderClientOptions {
  std::chrono::milliseconds timeout_ms{10000};  // each provider call, like one delivery call
  size_t max_calls_per_operation = 4;           // an adapter asking for more is refused
  size_t max_concurrent_operations = 256;       // one more is refused at once (server_busy)
};

// From [providers] and delivery.timeout_ms.
ProviderClientOptions provider_client_options(const config::Config& config);
// The transport for provider calls: kept-alive connections, whole answers up to
// providers.max_response_bytes, private addresses only with providers.allow_private.
http::ClientOptions provider_transport_options(const config::Config& config);

class ProviderClient {
 public:
  template <class T>
  using Done = std::function<void(Result<T>)>;

  // `transport` must outlive the client and every operation it runs.
  ProviderClient(DeliveryTransport& transport, ProviderClientOptions options);

  // Runs `step` to its end. `done` runs exactly once: at once, on the caller's thread, when
  // the step needs no call or the limit of operations in flight is reached; otherwise on an
  // io thread of the transport. Errors: server_busy when a provider cannot be reached, answers
  // too long, or an operation chains too many calls (the outcome is unknown); whatever the
  // adapter's continuation decides otherwise.
  template <class T>
  void run(channels::Step<T> step, Done<T> done) const;

  size_t operations_in_flight() const { return core_->in_flight.load(); }

 private:
  struct Core {
    Core(DeliveryTransport& t, ProviderClientOptions o) : transport(t), options(o) {}
    DeliveryTransport& transport;
    ProviderClientOptions options;
    std::atomic<size_t> in_flight{0};
  };
  // Holds one of the operations in flight; gives it back when the operation ends.
  struct Slot {
    explicit Slot(std::shared_ptr<Core> c) : core(std::move(c)) {}
    ~Slot() { core->in_flight.fetch_sub(1); }
    std::shared_ptr<Core> core;
  };
  using SlotPtr = std::shared_ptr<Slot>;
  using Answer = std::function<void(Result<channels::OutboundResponse>)>;

  SlotPtr acquire() const;  // nullptr when max_concurrent_operations are running
  static void send(const Core& core, const channels::OutboundRequest& request, Answer answer);
  static Error too_many_calls();

  template <class T>
  static void next(SlotPtr slot, std::shared_ptr<channels::Step<T>> step, Done<T> done, size_t calls);

  std::shared_ptr<Core> core_;
};

template <class T>
void ProviderClient::run(channels::Step<T> step, Done<T> done) const {
  if (step.done()) return done(std::move(step).result());
  SlotPtr slot = acquire();
  if (!slot) return done(make_error(Errc::server_busy, "too many provider calls in flight"));
  next<T>(std::move(slot), std::make_shared<channels::Step<T>>(std::move(step)), std::move(done), 0);
}

template <class T>
void ProviderClient::next(SlotPtr slot, std::shared_ptr<channels::Step<T>> step, Done<T> done, size_t calls) {
  if (step->done()) return done(std::move(*step).result());
  if (calls == slot->core->options.max_calls_per_operation) return done(too_many_calls());
  const Core& core = *slot->core;
  send(core, step->request(),
       [slot = std::move(slot), step, done = std::move(done),
        calls](Result<channels::OutboundResponse> answer) {
         if (!answer) return done(answer.error());
         next<T>(slot, std::make_shared<channels::Step<T>>(step->resume(*answer)), done, calls + 1);
       });
}

}  // namespace unipay
