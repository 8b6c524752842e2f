#include "net/handlers/callback_refusals.hpp"

#include "net/app_id.hpp"
#include "net/http_errors.hpp"

namespace unipay::handlers {

bool check_callback_app_id(const CallPtr& call, const channels::ChannelAdapter& adapter,
                           const std::string& app_id) {
  if (looks_like_app_id(app_id)) return true;
  if (call->api.refused_audits) call->api.refused_audits->count_dropped(AuditDrop::malformed_app_id);
  const Error error = make_error(Errc::not_found, "no such app");
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
  if (call->api.refused_audits)
    call->api.refused_audits->record(std::move(audit), call->request.remote_address);
  call->reply(adapter.answer(channels::CallbackOutcome::refused, &error));
}

}  // namespace unipay::handlers
