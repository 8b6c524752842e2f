// One HTTP request on its way through a handler: the request, what authentication found,
// and the single way to answer (signed when the request's signature verified, logged,
// counted). Continuations of storage and actor callbacks come back onto an io thread
// through resume(), so no request work ever runs on a storage or actor thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/bill_service.hpp"
#include "actors/callback_audits.hpp"
#include "actors/wallet_service.hpp"
#include "config/config.hpp"
#include "net/channels/channel_adapter.hpp"
#include "net/http_types.hpp"
#include "net/metrics.hpp"
#include "net/token_seal.hpp"
#include "storage/app_store.hpp"
#include "storage/database.hpp"

namespace unipay {

class Admission;
class ProviderClient;

// Everything handlers need, built once by main.
struct Api {
  config::Config config;
  storage::Database* db = nullptr;
  BillService* bills = nullptr;
  http::Post post;
  Metrics* metrics = nullptr;
  std::function<bool()> ready;                      // database reachable and migrations applied
  TokenKey token_key;                               // seals client tokens kept for Idempotency-Key replays
  RefusedCallbackAudits* refused_audits = nullptr;  // audit rows of unverified callbacks
  WalletService* wallets = nullptr;
  Admission* admission = nullptr;  // none: the database queues alone decide
  // Runs the channel adapters' provider calls (prepare, callback verification); none: only
  // channels that need no call work (tests).
  const ProviderClient* providers = nullptr;
  channels::ProviderUrls provider_urls;  // from config.providers
};

class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(const Api& api, http::Request request, http::Responder respond)
      : api(api), request(std::move(request)), respond_(std::move(respond)) {}
  ~Call() { run_answered_hook(); }  // a call that ends unanswered still frees what it held
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  const Api& api;
  http::Request request;
  std::vector<std::string> params;  // path segments captured by the router

  // Set by authentication.
  std::string app_id;
  std::optional<storage::App> app;  // the signing app, as loaded for this request
  bool signature_verified = false;  // answers are signed from then on, errors included
  std::string signing_secret;
  std::string nonce;
  // How the nonce is recorded (DESIGN.md §3: once per app). authenticate_app records it
  // before its `next`; authenticate_app_deferring_nonce leaves it `deferred`, and the
  // handler then hands it to the statement of its own work (take_deferred_nonce: `claimed`)
  // or records it alone (record_deferred_nonce) before anything observable happens. A
  // success answered while it is still deferred would accept a replay: answer() refuses it.
  enum class NonceState { none, recorded, deferred, claimed };
  NonceState nonce_state = NonceState::none;

  void reply(int status, std::string body);
  void reply(http::Response response);
  // Answers with a body streamed from `source` (chunked; see http::BodySource). A signed
  // answer carries its signature in the trailer X-Unipay-Signature, over the whole body.
  void reply_stream(int status, std::string content_type, std::shared_ptr<http::BodySource> source);
  void fail(const Error& error);
  void fail(Errc code, std::string message) { fail(make_error(code, std::move(message))); }
  // An unsigned answer with no log line, for refusals that come in floods and are counted
  // in /metrics instead (callbacks from a shut-out address, admission refusals): a line each would cost more
  // than the refusal.
  void reply_unlogged(http::Response response);

  // Runs `fn` once when this call is answered (admission control's place for new work).
  void when_answered(std::function<void()> fn) { answered_hook_ = std::move(fn); }

  // Runs `fn` once if the client closes its connection before this call answers (long
  // polls: free the waiter now). `fn` runs on an io thread and must only hand work on.
  void on_client_gone(std::function<void()> fn) {
    if (request.client) request.client->on_gone(std::move(fn));
  }
  bool client_gone() const { return request.client && request.client->is_gone(); }

  // Wraps a continuation so it runs on an io thread, keeping this call alive.
  template <class T>
  Callback<T> resume(std::function<void(Result<T>)> next) {
    return [self = shared_from_this(), next = std::move(next)](Result<T> result) {
      self->api.post([next, result = std::move(result)]() mutable { next(std::move(result)); });
    };
  }

 private:
  void answer(http::Response response, std::string_view error_message, bool logged = true);
  void log_answer(int status, std::string_view error_message) const;

  void run_answered_hook() {
    if (answered_hook_) std::exchange(answered_hook_, nullptr)();
  }

  http::Responder respond_;
  bool answered_ = false;
  std::function<void()> answered_hook_;
};

using CallPtr = std::shared_ptr<Call>;

}  // namespace unipay
