// Authentication of the three kinds of caller (DESIGN.md §3, §7.3): apps sign requests
// with their HMAC secret; game clients hold one bill's client token; operators hold the
// admin token. Each function either calls `next` or answers the call with the error.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "net/call.hpp"
#include "storage/bill.hpp"

namespace unipay {

// The token of `Authorization: Bearer <token>`, if that header has that form.
std::optional<std::string_view> bearer_token(const http::Request& request);

// Verifies X-Unipay-* headers: shape, app, signature (current or previous secret),
// timestamp window, nonce once per app. On success call->app_id is set and answers are
// signed from then on.
void authenticate_app(const CallPtr& call, std::function<void()> next);

// authenticate_app without recording the nonce: on success call->nonce_state is
// `deferred`, and before anything observable happens the caller must either hand the
// nonce to the one statement of its work (take_deferred_nonce, which that statement
// refuses as replayed) or record it alone (record_deferred_nonce). Only for a handler
// whose work can carry the nonce (POST /v1/bills: one write less per creation).
void authenticate_app_deferring_nonce(const CallPtr& call, std::function<void()> next);
storage::NonceClaim take_deferred_nonce(Call& call);
void record_deferred_nonce(const CallPtr& call, std::function<void()> next);

// The app (nullopt when unknown), from this thread's one-second cache when allowed, else
// from the database (then cached); a database error answers the call.
enum class AppSource { cache, database };
void load_app(const CallPtr& call, const std::string& app_id, AppSource source,
              std::function<void(std::optional<storage::App>)> next);

// Admin routes: missing token 401 unauthorized; any other credential 403 forbidden.
bool authenticate_admin(const CallPtr& call);

// Bill routes: a client token (when allowed) must be that bill's; a signed app must own
// the bill. Anything else is not_found, so existence is never revealed.
void authorize_bill(const CallPtr& call, const std::string& bill_id, bool allow_client_token,
                    std::function<void(Bill)> next);

}  // namespace unipay
