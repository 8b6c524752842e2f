// What the provider-callback handler does before it trusts a callback (issue 8.6): the URL's
// app id must have an app id's shape, and a callback refused before its effect was tried is
// answered at once while its audit row goes to the rate-limited, batched refused-audit sink
// (actors/callback_audits.hpp), never one write on the payment path. Answers are in the
// channel's own format (ChannelAdapter::answer).
#pragma once

#include "net/call.hpp"
#include "net/channels/channel_adapter.hpp"
#include "storage/bill_store.hpp"

namespace unipay::handlers {

// True when the app id can name an app. Otherwise answers 404 not_found at once: no
// lookup, no audit row (counted as dropped, reason malformed_app_id).
bool check_callback_app_id(const CallPtr& call, const channels::ChannelAdapter& adapter,
                           const std::string& app_id);

// The audit's verdict and detail for a refusal: "refused:<code>" and the message.
void set_refused_verdict(storage::CallbackAudit& audit, const Error& error);

// Answers `error` now and offers the audit row, keyed by the caller's remote address.
void refuse_unverified_callback(const CallPtr& call, const channels::ChannelAdapter& adapter,
                                storage::CallbackAudit audit, const Error& error);

// True when the caller's address is shut out (net/suspect_sources.hpp): the call has been
// answered 429 busy with Retry-After, unread, unlogged (counted in /metrics).
bool refuse_if_source_shut_out(const CallPtr& call);
// The caller's callback was verified: its address is trusted for callbacks.suspect_trust_ms.
void note_verified_source(const CallPtr& call);

}  // namespace unipay::handlers
