// POST /v1/callbacks/{app_id}/{channel}: every provider's notifications, one handler. The
// channel's adapter verifies the callback with this app's credentials for that channel and
// says what it states; the bill's actor decides (amount, currency, app, transition, DESIGN.md
// §2, §7.8); the adapter formats the answer the provider expects. Acknowledged only after
// its effect (or, for a duplicate or a refusal, its audit row) has been committed. A
// redelivery (Pub/Sub messageId) answered 2xx before on this io thread is, once its token
// verifies, acknowledged without asking the provider again (net/delivery_memory.hpp).
#include <spdlog/spdlog.h>

#include "actors/bill_id.hpp"
#include "net/app_lookup_budget.hpp"
#include "net/app_spec.hpp"
#include "net/auth.hpp"
#include "net/crypto.hpp"
#include "net/delivery_memory.hpp"
#include "net/handlers/bill_by_trade.hpp"
#include "net/handlers/callback_refusals.hpp"
#include "net/handlers/handlers.hpp"
#include "net/handlers/provider_event.hpp"
#include "net/provider_client.hpp"
#include "storage/app_reads.hpp"
#include "storage/bill_store.hpp"

namespace unipay::handlers {
namespace {

using channels::CallbackOutcome;
using channels::ChannelAdapter;
using channels::ProviderResult;

struct Callback {
  const ChannelAdapter* adapter = nullptr;
  storage::CallbackAudit audit;
  std::string delivery_id;  // the provider's id of this delivery, "" when the channel has none
  bool repeat = false;      // that id was answered 2xx before
};

DeliveryMemory& delivery_memory(const config::ChannelsConfig& c) {
  // Per io thread, like the app cache and suspect sources: no lock on the request path. The
  // settings are fixed for the life of the process: the first call's are everyone's.
  thread_local DeliveryMemory memory(c.pubsub_dedup_ttl_s, c.pubsub_dedup_entries);
  return memory;
}

channels::CallbackInput callback_input(const CallPtr& call, bool answered_before) {
  return {
      call->request.headers, call->request.body, {call->api.config.server.max_json_depth}, answered_before};
}

// The answer is final here: a delivery answered 2xx is remembered, any other is not (the
// provider redelivers it and it is handled again).
void answer(const CallPtr& call, const Callback& cb, CallbackOutcome outcome,
            const Error* refusal = nullptr) {
  http::Response response = cb.adapter->answer(outcome, refusal);
  if (!cb.delivery_id.empty())
    delivery_memory(call->api.config.channels)
        .note_answer(cb.audit.app_id, cb.delivery_id, response.status, DeliveryMemory::Clock::now());
  call->reply(std::move(response));
}

void alert_if_conflict(const CallPtr& call, const Callback& cb, const Error& error) {
  handlers::alert_if_conflict(call, "callback", cb.audit.channel, cb.audit.app_id, cb.audit.bill_id, error);
}

void refuse_unverified(const CallPtr& call, const Callback& cb, const Error& error) {
  call->api.metrics->count_callback_refusal(cb.audit.channel, error.code);
  alert_if_conflict(call, cb, error);
  refuse_unverified_callback(call, *cb.adapter, cb.audit, error);
}

// A verified callback that changed nothing: its audit row is written, then it is answered.
void audit_then_answer(const CallPtr& call, Callback cb, Result<EventResult> outcome) {
  if (outcome) {
    cb.audit.verdict = "ignored";
    cb.audit.detail = outcome->reason;
  } else {
    set_refused_verdict(cb.audit, outcome.error());
  }
  call->api.db->write({storage::insert_callback_audit(cb.audit)},
                      call->resume<std::vector<storage::Rows>>([call, cb, outcome](auto written) {
                        if (!written)
                          spdlog::error("callback audit not written: {}", written.error().message);
                        if (!outcome) return answer(call, cb, CallbackOutcome::refused, &outcome.error());
                        answer(call, cb, CallbackOutcome::ignored);
                      }));
}

// Acknowledged, but money moved that the bill does not follow (a partial refund): looked at.
void alert_if_asked(const CallPtr& call, const Callback& cb, const EventResult& r) {
  if (!r.alert) return;
  call->api.metrics->callback_alerts.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("ALERT {} callback for app {} bill {} acknowledged, bill unchanged: {}", cb.audit.channel,
                cb.audit.app_id, cb.audit.bill_id, r.reason);
}

void count_outcome(const CallPtr& call, const Callback& cb, const Result<EventResult>& r) {
  Metrics& m = *call->api.metrics;
  if (r && r->verdict == Verdict::apply) {
    m.callbacks_accepted.fetch_add(1, std::memory_order_relaxed);
  } else if (r) {
    m.callbacks_ignored.fetch_add(1, std::memory_order_relaxed);
    alert_if_asked(call, cb, *r);
  } else {
    m.count_callback_refusal(cb.audit.channel, r.error().code);
    alert_if_conflict(call, cb, r.error());
  }
}

void apply_to_bill(const CallPtr& call, Callback cb, const std::string& bill_id, BillEvent event) {
  cb.audit.bill_id = bill_id;
  if (!looks_like_bill_id(bill_id))
    return audit_then_answer(call, cb, make_error(Errc::not_found, "no such bill"));
  call->api.bills->apply(bill_id, std::move(event), cb.audit,
                         call->resume<EventResult>([call, cb](Result<EventResult> r) {
                           count_outcome(call, cb, r);
                           if (r && r->verdict == Verdict::apply)
                             return answer(call, cb, CallbackOutcome::accepted);
                           audit_then_answer(call, cb, r);
                         }));
}

void on_verified(const CallPtr& call, Callback cb, const ProviderResult& result) {
  note_verified_source(call);
  cb.audit.bill_id = result.bill_id;
  if (cb.repeat) {
    call->api.metrics->callbacks_repeated.fetch_add(1, std::memory_order_relaxed);
    return audit_then_answer(call, cb,
                             EventResult{{}, Verdict::ignore, "delivery answered before (repeated id)"});
  }
  auto event = provider_event(result, cb.audit.app_id, cb.audit.channel);
  if (!event) {
    return audit_then_answer(
        call, cb,
        EventResult{{}, Verdict::ignore, "provider status " + std::string(to_string(result.status))});
  }
  if (!names_only_trade(result)) return apply_to_bill(call, cb, result.bill_id, std::move(*event));
  // The event names only the provider's trade: its bill is the one that stored that number.
  find_bill_by_trade(call, cb.audit.app_id, cb.audit.channel, result.trade_no,
                     [call, cb, event = std::move(*event)](Result<std::string> bill_id) mutable {
                       if (!bill_id) {
                         count_outcome(call, cb, bill_id.error());
                         return audit_then_answer(call, cb, bill_id.error());
                       }
                       apply_to_bill(call, cb, *bill_id, std::move(event));
                     });
}

// A refusal that a second's newer app row could turn around (rotated keys or secret).
bool may_be_stale_credentials(const Error& error) {
  return error.code == Errc::bad_signature || error.code == Errc::conflict;
}

void verify(const CallPtr& call, const Callback& cb, AppSource source) {
  load_app(call, cb.audit.app_id, source, [call, cb, source](std::optional<storage::App> app) {
    const channels::ConfiguredChannel* channel = app ? app_channels(*app).find(cb.adapter->name()) : nullptr;
    // A cached app may be a second old: ask the database once before refusing (at most once
    // a second per app; an unknown app is known to be unknown).
    auto reread = [&] {
      return app && source == AppSource::cache && storage::claim_app_reread(cb.audit.app_id);
    };
    if (!channel) {
      if (reread()) return verify(call, cb, AppSource::database);
      return refuse_unverified(
          call, cb, make_error(Errc::not_found, "no " + cb.audit.channel + " channel for this app"));
    }
    channels::ChannelContext context{channel->credentials, call->api.provider_urls, unix_now_s()};
    const channels::CallbackInput input = callback_input(call, cb.repeat);
    auto step = cb.adapter->verify_callback(context, input);
    auto verified = call->resume<ProviderResult>(
        [call, cb, source, app_known = app.has_value()](Result<ProviderResult> result) {
          if (result) return on_verified(call, cb, *result);
          if (app_known && source == AppSource::cache && may_be_stale_credentials(result.error()) &&
              storage::claim_app_reread(cb.audit.app_id))
            return verify(call, cb, AppSource::database);
          refuse_unverified(call, cb, result.error());
        });
    if (step.done() || !call->api.providers) {
      if (!step.done()) return verified(make_error(Errc::server_busy, "no provider client"));
      return verified(std::move(step).result());
    }
    call->api.providers->run<ProviderResult>(std::move(step), std::move(verified));
  });
}

}  // namespace

void provider_callback(const CallPtr& call) {
  // First and cheapest: an address that sends nothing but refused callbacks costs no more.
  if (refuse_if_source_shut_out(call)) return;
  const std::string& app_id = call->params.at(0);
  const ChannelAdapter* adapter = channels::default_registry().find(call->params.at(1));
  if (!adapter) return call->fail(Errc::not_found, "no such channel");
  if (!check_callback_app_id(call, *adapter, app_id) || !admit_app_lookup(call, app_id)) return;
  Callback cb{adapter,
              {app_id, std::string(adapter->name()), "", crypto::sha256_hex(call->request.body), "", ""}};
  cb.delivery_id = adapter->delivery_id(callback_input(call, false));
  cb.repeat = delivery_memory(call->api.config.channels)
                  .answered(app_id, cb.delivery_id, DeliveryMemory::Clock::now());
  verify(call, cb, AppSource::cache);
}

}  // namespace unipay::handlers
