// POST /v1/admin/bills/{bill_id}/refund {"reason"} (issue 9 item 6): an operator gives the
// whole amount of a paid or delivered bill back through its channel's refund API. The refund
// number is derived from the bill id (refund_id_for), so a retried or second request asks
// the provider for the same refund and never makes two. A confirmed refund is applied by the
// bill's actor through the same event path as a refund notification (provider_event.hpp).
// 200 refunded (or already), 202 provider pending (its notification completes the bill), 503
// provider unreachable (outcome unknown, safe to retry), 409 not refundable, 400 no refund API.
// Every request leaves a row in the callbacks audit table (channel's name, detail "admin refund").
#include <spdlog/spdlog.h>

#include "actors/bill_id.hpp"
#include "net/app_spec.hpp"
#include "net/auth.hpp"
#include "net/channels/bill_view.hpp"
#include "net/channels/json_fields.hpp"
#include "net/channels/refund_rules.hpp"
#include "net/crypto.hpp"
#include "net/handlers/callback_refusals.hpp"
#include "net/handlers/handlers.hpp"
#include "net/handlers/provider_event.hpp"
#include "net/provider_client.hpp"
#include "storage/bill_store.hpp"

namespace unipay::handlers {
namespace {

// Stripe allows 500 characters of metadata; a reason is a short note for the ledger.
constexpr size_t kMaxReasonBytes = 256;

// Writes the audit row, then answers: an admin refund is rare, so one write per request. The
// answer does not wait on the audit succeeding: the provider call or refusal has happened.
void audit_then(const CallPtr& call, const Bill& bill, std::string verdict, std::string detail,
                std::function<void()> answer) {
  spdlog::info("admin refund of bill {} ({}): {} {}", bill.bill_id, bill.channel, verdict, detail);
  storage::CallbackAudit audit{bill.app_id,        bill.channel,
                               bill.bill_id,       crypto::sha256_hex(call->request.body),
                               std::move(verdict), std::string("admin refund: ").append(detail)};
  call->api.db->write(
      {storage::insert_callback_audit(audit)},
      call->resume<std::vector<storage::Rows>>([answer = std::move(answer)](auto) { answer(); }));
}

void refuse(const CallPtr& call, const Bill& bill, const Error& error) {
  storage::CallbackAudit audit;
  set_refused_verdict(audit, error);
  audit_then(call, bill, audit.verdict, audit.detail, [call, error] { call->fail(error); });
}

// The provider confirmed: the bill's actor applies it as a refund notification would.
void apply_refund(const CallPtr& call, const Bill& bill, const channels::RefundResult& refunded,
                  const std::string& refund_id) {
  channels::ProviderResult result;
  result.status = channels::ProviderStatus::refunded;
  result.bill_id = bill.bill_id;
  result.trade_no = bill.provider_trade_no;
  result.amount_minor = bill.amount_minor;
  result.currency = bill.currency;
  result.refund_amount_minor = bill.amount_minor;
  result.refund_id = refunded.provider_refund_id.empty() ? refund_id : refunded.provider_refund_id;
  auto event = provider_event(result, bill.app_id, bill.channel);
  storage::CallbackAudit audit{bill.app_id,  bill.channel,
                               bill.bill_id, crypto::sha256_hex(call->request.body),
                               "",           std::string("admin refund ").append(refund_id)};
  call->api.bills->apply(bill.bill_id, std::move(*event), audit,
                         call->resume<EventResult>([call, bill](Result<EventResult> r) {
                           if (!r) return refuse(call, bill, r.error());
                           spdlog::info("admin refund of bill {} ({}): refunded", bill.bill_id, bill.channel);
                           call->reply(200, bill_envelope(r->bill));
                         }));
}

void on_refund_answer(const CallPtr& call, const Bill& bill, const std::string& refund_id,
                      Result<channels::RefundResult> result) {
  if (!result) return refuse(call, bill, result.error());  // server_busy: 503, retry is safe
  using channels::ProviderStatus;
  if (result->status == ProviderStatus::refunded) return apply_refund(call, bill, *result, refund_id);
  if (result->status == ProviderStatus::failed)
    return refuse(call, bill, make_error(Errc::conflict, "the provider refused the refund"));
  audit_then(call, bill, "ignored", std::string("pending at the provider ").append(refund_id),
             [call, bill] { call->reply(202, bill_envelope(bill)); });
}

void ask_provider(const CallPtr& call, const Bill& bill, const channels::ConfiguredChannel& channel,
                  std::string reason) {
  const std::string& base = call->api.config.server.public_base_url;
  channels::RefundInput input{channels::bill_view(bill), channels::refund_id_for(bill.bill_id),
                              bill.amount_minor, std::move(reason),
                              base.empty() ? "" : channels::callback_url(base, bill.app_id, bill.channel)};
  channels::ChannelContext context{channel.credentials, call->api.provider_urls, unix_now_s()};
  auto step = channel.adapter->refund(context, input);
  auto answered = call->resume<channels::RefundResult>(
      [call, bill, refund_id = input.refund_id](Result<channels::RefundResult> r) {
        on_refund_answer(call, bill, refund_id, std::move(r));
      });
  if (step.done()) return answered(std::move(step).result());
  if (!call->api.providers) return answered(make_error(Errc::server_busy, "no provider client"));
  call->api.providers->run<channels::RefundResult>(std::move(step), std::move(answered));
}

void on_bill(const CallPtr& call, Bill bill, std::string reason) {
  if (bill.state == BillState::refunded)
    return audit_then(call, bill, "ignored", "already refunded",
                      [call, bill] { call->reply(200, bill_envelope(bill)); });
  if (auto refusal = channels::refund_refusal(bill.state, bill.channel)) return refuse(call, bill, *refusal);
  const std::string app_id = bill.app_id;  // bill is moved into the continuation below
  load_app(
      call, app_id, AppSource::cache,
      [call, bill = std::move(bill), reason = std::move(reason)](std::optional<storage::App> app) mutable {
        const channels::ConfiguredChannel* channel = app ? app_channels(*app).find(bill.channel) : nullptr;
        if (!channel)
          return refuse(
              call, bill,
              make_error(Errc::invalid_parameter,
                         std::string(bill.channel).append(" is no longer configured for this app")));
        ask_provider(call, bill, *channel, std::move(reason));
      });
}

}  // namespace

void admin_refund_bill(const CallPtr& call) {
  if (!authenticate_admin(call)) return;
  if (!looks_like_bill_id(call->params.at(0))) return call->fail(Errc::not_found, "no such bill");
  std::string reason;
  if (!call->request.body.empty()) {
    auto body = parse_body(call);
    if (!body) return;
    reason = channels::text_of(*body, "reason");
  }
  if (reason.size() > kMaxReasonBytes)
    return call->fail(
        Errc::invalid_parameter,
        std::string("reason must be at most ").append(std::to_string(kMaxReasonBytes)).append(" bytes"));
  call->api.bills->get(call->params[0], call->resume<Bill>([call, reason](Result<Bill> bill) {
    if (!bill) return call->fail(bill.error());
    on_bill(call, std::move(*bill), reason);
  }));
}

}  // namespace unipay::handlers
