#include "net/handlers/callback_refusals.hpp"

#include <spdlog/spdlog.h>

#include "net/app_id.hpp"
#include "net/http_errors.hpp"
#include "net/suspect_sources.hpp"

namespace unipay::handlers {
namespace {

SuspectSources& suspect_sources(const config::CallbacksConfig& c) {
  // Per io thread, like the app cache and the audit limiter: no lock on the request path.
  // The settings are fixed for the life of the process: the first call's are everyone's.
  thread_local SuspectSources sources(
      {c.suspect_refusals_per_s, c.suspect_shut_out_ms, c.suspect_trust_ms, c.refused_audit_max_sources});
  return sources;
}

void note_refused_source(const CallPtr& call) {
  SuspectSources& sources = suspect_sources(call->api.config.callbacks);
  const auto now = SuspectSources::Clock::now();
  if (sources.refused(call->request.remote_address, now)) {
    call->api.metrics->callback_sources_shut_out.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("callbacks from {} refused unread for {} ms: over {} refused callbacks a second",
                 call->request.remote_address, call->api.config.callbacks.suspect_shut_out_ms.count(),
                 call->api.config.callbacks.suspect_refusals_per_s);
  }
}

}  // namespace

bool refuse_if_source_shut_out(const CallPtr& call) {
  const auto now = SuspectSources::Clock::now();
  if (!suspect_sources(call->api.config.callbacks).shut_out(call->request.remote_address, now)) return false;
  call->api.metrics->callbacks_refused_shut_out.fetch_add(1, std::memory_order_relaxed);
  // No log line: a flood would cost a write per request, which is what this avoids. The
  // shut-out itself was logged once; the refusals are counted.
  call->reply_unlogged(
      http::error_response(make_error(Errc::busy, "too many refused callbacks from this address")));
  return true;
}

void note_verified_source(const CallPtr& call) {
  suspect_sources(call->api.config.callbacks)
      .verified(call->request.remote_address, SuspectSources::Clock::now());
}

bool check_callback_app_id(const CallPtr& call, const channels::ChannelAdapter& adapter,
                           const std::string& app_id) {
  if (looks_like_app_id(app_id)) return true;
  if (call->api.refused_audits) call->api.refused_audits->count_dropped(AuditDrop::malformed_app_id);
  const Error error = make_error(Errc::not_found, "no such app");
  note_refused_source(call);
  call->reply(adapter.answer(channels::CallbackOutcome::refused, &error));
  return false;
}

void set_refused_verdict(storage::CallbackAudit& audit, const Error& error) {
  audit.verdict = "refused:" + std::string(http::error_shape(error.code).code);
  audit.detail = error.message;
}

void refuse_unverified_callback(const CallPtr& call, const channels::ChannelAdapter& adapter,
                                storage::CallbackAudit audit, const Error& error) {
  set_refused_verdict(audit, error);
  note_refused_source(call);
  if (call->api.refused_audits)
    call->api.refused_audits->record(std::move(audit), call->request.remote_address);
  call->reply(adapter.answer(channels::CallbackOutcome::refused, &error));
}

}  // namespace unipay::handlers
