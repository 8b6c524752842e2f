// POST /v1/bills/{id}/verify {"receipt": "..."} (DESIGN.md §3): a client-submitted store
// receipt (Apple signed transaction, a Google purchase token) verified by the bill's channel
// adapter with the app's credentials, then applied by the bill's actor through the same
// event path as a provider callback (net/handlers/provider_event.hpp). 200 with the bill
// when applied or already settled by it; 202 with the bill unchanged when the provider could
// not be reached; a receipt that can never verify is 400/409 and changes nothing. After a
// 202 for a channel that cannot query by bill (an Apple transactionId lookup), the bill's
// verify job carries the receipt and the janitor repeats the check until it answers.
#include "actors/bill_id.hpp"
#include "net/app_spec.hpp"
#include "net/auth.hpp"
#include "net/channels/bill_view.hpp"
#include "net/channels/json_fields.hpp"
#include "net/crypto.hpp"
#include "net/handlers/handlers.hpp"
#include "net/handlers/provider_event.hpp"
#include "net/provider_client.hpp"
#include "storage/bill_store.hpp"
#include "storage/job_store.hpp"

namespace unipay::handlers {
namespace {

// A receipt whose signature does not verify is a bad receipt, not a bad request signature
// (401 would tell the client its credentials are wrong): 400.
Error receipt_refusal(const Error& error) {
  if (error.code == Errc::bad_signature)
    return make_error(Errc::invalid_parameter, std::string("receipt: ").append(error.message));
  return error;
}

// Unknown outcome: the bill as it stands, 202; the client may submit the receipt again.
void answer_unreached(const CallPtr& call, const Bill& bill) { call->reply(202, bill_envelope(bill)); }

// The provider could not be reached to check the receipt. A channel that queries by bill has
// its verify job already; for one that cannot (Apple: only the receipt names the
// transaction) the job is written with the receipt, first due after the unreachable
// backoff, before the 202, so the janitor keeps checking it (actors/verify_actor.hpp).
void keep_checking(const CallPtr& call, const Bill& bill, const channels::ChannelAdapter& adapter,
                   const std::string& receipt) {
  if (adapter.traits().has_query) return answer_unreached(call, bill);
  call->api.db->write({storage::upsert_receipt_verify_job(bill.bill_id, receipt,
                                                          call->api.config.delivery.backoff_initial_ms)},
                      call->resume<std::vector<storage::Rows>>([call, bill](auto written) {
                        if (!written) return call->fail(written.error());  // nothing will check: 503
                        answer_unreached(call, bill);
                      }));
}

void apply_result(const CallPtr& call, const Bill& bill, const channels::ProviderResult& result) {
  auto event = provider_event(result, bill.app_id, bill.channel);
  if (!event) return answer_unreached(call, bill);  // the store still reports it pending
  storage::CallbackAudit audit{
      bill.app_id, bill.channel, bill.bill_id, crypto::sha256_hex(call->request.body), "", "verify"};
  call->api.bills->apply(
      bill.bill_id, std::move(*event), audit, call->resume<EventResult>([call, bill](Result<EventResult> r) {
        if (!r) {
          alert_if_conflict(call, "receipt", bill.channel, bill.app_id, bill.bill_id, r.error());
          return call->fail(r.error());
        }
        call->reply(200, bill_envelope(r->bill));
      }));
}

void verify_receipt(const CallPtr& call, const Bill& bill, const channels::ConfiguredChannel& channel,
                    const std::string& receipt) {
  channels::ChannelContext context{channel.credentials, call->api.provider_urls, unix_now_s()};
  auto step = channel.adapter->verify_receipt(context, channels::bill_view(bill), receipt);
  auto verified = call->resume<channels::ProviderResult>(
      [call, bill, receipt, adapter = channel.adapter](Result<channels::ProviderResult> result) {
        if (result) return apply_result(call, bill, *result);
        if (result.error().code == Errc::server_busy) return keep_checking(call, bill, *adapter, receipt);
        call->fail(receipt_refusal(result.error()));
      });
  if (step.done()) return verified(std::move(step).result());
  if (!call->api.providers) return verified(make_error(Errc::server_busy, "no provider client"));
  call->api.providers->run<channels::ProviderResult>(std::move(step), std::move(verified));
}

void on_bill(const CallPtr& call, Bill bill, std::string receipt) {
  const channels::ChannelAdapter* adapter = channels::default_registry().find(bill.channel);
  if (!adapter || !adapter->traits().has_receipts)
    return call->fail(Errc::invalid_parameter, bill.channel + " bills take no receipts");
  // A client-token caller has no app loaded: the bill's app holds the channel credentials.
  const std::string app_id = bill.app_id;  // bill is moved into the continuation below
  load_app(
      call, app_id, AppSource::cache,
      [call, bill = std::move(bill), receipt = std::move(receipt)](std::optional<storage::App> app) {
        const channels::ConfiguredChannel* channel = app ? app_channels(*app).find(bill.channel) : nullptr;
        if (!channel)
          return call->fail(Errc::invalid_parameter, bill.channel + " is no longer configured for this app");
        verify_receipt(call, bill, *channel, receipt);
      });
}

}  // namespace

void verify_bill(const CallPtr& call) {
  if (!looks_like_bill_id(call->params.at(0))) return call->fail(Errc::not_found, "no such bill");
  // The body is read once the caller is known, so a signed app's refusals are signed too.
  authorize_bill(call, call->params[0], true, [call](Bill bill) {
    auto body = parse_body(call);
    if (!body) return;
    std::string receipt = channels::text_of(*body, "receipt");
    if (receipt.empty()) return call->fail(Errc::invalid_parameter, "receipt must be a non-empty string");
    on_bill(call, std::move(bill), std::move(receipt));
  });
}

}  // namespace unipay::handlers
