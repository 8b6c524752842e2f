#include "net/auth.hpp"

#include <cassert>

#include "net/app_id.hpp"
#include "net/app_lookup_budget.hpp"
#include "net/app_spec.hpp"
#include "net/crypto.hpp"
#include "net/signing.hpp"
#include "storage/app_reads.hpp"
#include "storage/app_store.hpp"

namespace unipay {
namespace {

signing::SignedHeaders signed_headers(const http::Request& r) {
  return {r.header("x-unipay-app"), r.header("x-unipay-timestamp"), r.header("x-unipay-nonce"),
          r.header("x-unipay-signature")};
}

// The secret (current or previous) that made this signature, if any.
std::optional<std::string> matching_secret(const storage::App& app, const http::Request& r) {
  for (const std::string& secret : app.secrets) {
    if (signing::verify_request({secret}, signed_headers(r), r.method, r.target, r.body)) return secret;
  }
  return std::nullopt;
}

int nonce_window_s(const Call& call) {
  return static_cast<int>(call.api.config.bills.nonce_window_s.count());
}

// The nonce in its own group commit, before `next`: the request's work starts only once
// a replay of it would be refused.
void check_nonce(const CallPtr& call, std::function<void()> next) {
  call->nonce_state = Call::NonceState::recorded;
  call->api.db->write({storage::insert_nonce(call->app_id, call->nonce, nonce_window_s(*call))},
                      call->resume<std::vector<storage::Rows>>(
                          [call, next = std::move(next)](Result<std::vector<storage::Rows>> rows) {
                            if (!rows) return call->fail(rows.error());
                            if (rows->front().empty())
                              return call->fail(Errc::replayed, "nonce already used");
                            next();
                          }));
}

// record_first: the nonce is committed before `next` (every signed route);
// defer_to_caller: the caller's own statement records it (authenticate_app_deferring_nonce).
enum class NonceMode { record_first, defer_to_caller };

void on_app_loaded(const CallPtr& call, std::optional<storage::App> app, bool from_cache, NonceMode mode,
                   std::function<void()> next) {
  if (!app) return call->fail(Errc::unauthorized, "unknown app");
  auto secret = matching_secret(*app, call->request);
  if (!secret && from_cache && storage::claim_app_reread(app->app_id)) {
    // The secret may have been rotated within the cache's second: ask the database once
    // (at most once a second per app, so forged signatures cannot cost a read each).
    return load_app(call, app->app_id, AppSource::database,
                    [call, mode, next](std::optional<storage::App> fresh) {
                      on_app_loaded(call, std::move(fresh), false, mode, next);
                    });
  }
  if (!secret) return call->fail(Errc::bad_signature, "signature does not match");
  auto headers = signed_headers(call->request);
  call->app_id = app->app_id;
  call->signature_verified = true;
  call->signing_secret = *secret;
  call->nonce = std::string(headers.nonce);
  call->app = std::move(app);
  auto fresh = signing::check_timestamp(headers.timestamp, unix_now_s(),
                                        call->api.config.bills.signature_window_s.count());
  if (!fresh) return call->fail(fresh.error());
  if (mode == NonceMode::record_first) return check_nonce(call, std::move(next));
  call->nonce_state = Call::NonceState::deferred;
  next();
}

void authenticate(const CallPtr& call, NonceMode mode, std::function<void()> next) {
  auto headers = signed_headers(call->request);
  if (auto shape = signing::check_header_shape(headers); !shape) return call->fail(shape.error());
  std::string app_id(headers.app_id);
  // A malformed or recently unknown app id is refused without a database read.
  if (!looks_like_app_id(app_id) || storage::cached_unknown_app(app_id))
    return on_app_loaded(call, std::nullopt, true, mode, std::move(next));
  if (auto app = storage::cached_app(app_id))
    return on_app_loaded(call, std::move(app), true, mode, std::move(next));
  if (!admit_app_lookup(call, app_id)) return;
  load_app(call, app_id, AppSource::database,
           [call, mode, next = std::move(next)](std::optional<storage::App> app) {
             on_app_loaded(call, std::move(app), false, mode, next);
           });
}

}  // namespace

std::optional<std::string_view> bearer_token(const http::Request& request) {
  std::string_view value = request.header("authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.size() <= kPrefix.size() || value.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return value.substr(kPrefix.size());
}

void authenticate_app(const CallPtr& call, std::function<void()> next) {
  authenticate(call, NonceMode::record_first, std::move(next));
}

void authenticate_app_deferring_nonce(const CallPtr& call, std::function<void()> next) {
  authenticate(call, NonceMode::defer_to_caller, std::move(next));
}

storage::NonceClaim take_deferred_nonce(Call& call) {
  assert(call.nonce_state == Call::NonceState::deferred);
  call.nonce_state = Call::NonceState::claimed;
  return {call.app_id, call.nonce, nonce_window_s(call)};
}

void record_deferred_nonce(const CallPtr& call, std::function<void()> next) {
  assert(call->nonce_state == Call::NonceState::deferred);
  check_nonce(call, std::move(next));
}

void load_app(const CallPtr& call, const std::string& app_id, AppSource source,
              std::function<void(std::optional<storage::App>)> next) {
  if (source == AppSource::cache) {
    if (storage::cached_unknown_app(app_id)) return next(std::nullopt);
    if (auto app = storage::cached_app(app_id)) return next(std::move(app));
  }
  call->api.db->read(
      storage::select_app(app_id),
      call->resume<storage::Rows>([call, app_id, next = std::move(next)](Result<storage::Rows> rows) {
        if (!rows) return call->fail(rows.error());
        auto app = storage::parse_app(*rows);
        // Back on an io thread: its cache, with a negative entry for an unknown app.
        if (app) {
          attach_channels(*app);  // once per load, never per request
          storage::remember_app(*app);
        } else {
          storage::remember_unknown_app(app_id);
        }
        next(std::move(app));
      }));
}

bool authenticate_admin(const CallPtr& call) {
  const std::string& admin = call->api.config.server.admin_token;
  auto token = bearer_token(call->request);
  if (!token && !call->request.has_header("x-unipay-signature")) {
    call->fail(Errc::unauthorized, "admin routes need Authorization: Bearer <admin token>");
    return false;
  }
  if (!token || admin.empty() || !crypto::constant_time_equal(*token, admin)) {
    call->fail(Errc::forbidden, "not an admin credential");
    return false;
  }
  return true;
}

void authorize_bill(const CallPtr& call, const std::string& bill_id, bool allow_client_token,
                    std::function<void(Bill)> next) {
  auto token = bearer_token(call->request);
  if (token && !allow_client_token) return call->fail(Errc::forbidden, "a client token cannot do this");
  auto check = [call, next,
                token_hash = token ? crypto::sha256_hex(*token) : std::string()](Result<Bill> bill) {
    if (!bill) return call->fail(bill.error());
    bool allowed = token_hash.empty() ? bill->app_id == call->app_id
                                      : crypto::constant_time_equal(token_hash, bill->client_token_hash);
    if (!allowed) return call->fail(Errc::not_found, "no such bill");
    next(std::move(*bill));
  };
  auto fetch = [call, bill_id, check]() { call->api.bills->get(bill_id, call->resume<Bill>(check)); };
  if (token) return fetch();
  if (call->request.has_header("authorization") && !call->request.has_header("x-unipay-signature")) {
    return call->fail(Errc::unauthorized, "malformed Authorization header");
  }
  authenticate_app(call, fetch);
}

}  // namespace unipay
