// POST /v1/callbacks/{app_id}/sandbox: unipay's own test channel. Signed with
// X-Sandbox-Signature = hex HMAC-SHA256(sandbox secret, raw body). Acknowledged only after
// its effect (or, for a duplicate or a refusal, its audit row) has been committed.
#include <spdlog/spdlog.h>

#include "actors/bill_id.hpp"
#include "net/app_lookup_budget.hpp"
#include "net/auth.hpp"
#include "net/crypto.hpp"
#include "net/handlers/callback_refusals.hpp"
#include "net/handlers/handlers.hpp"
#include "net/signing.hpp"
#include "storage/app_reads.hpp"
#include "storage/bill_store.hpp"

namespace unipay::handlers {
namespace {

constexpr size_t kMaxTradeNoBytes = 128;

struct SandboxNotice {
  std::string bill_id;
  BillEvent event;
};

Result<SandboxNotice> parse_notice(const json::Value& body) {
  if (!body.is_object()) return make_error(Errc::invalid_parameter, "the body must be a JSON object");
  SandboxNotice n;
  auto bill_id = json::get_string(body, "bill_id", 64);
  auto trade_no = json::get_string(body, "trade_no", kMaxTradeNoBytes);
  auto status = json::get_string(body, "status", 16);
  for (auto* field : {&bill_id, &trade_no, &status}) {
    if (!*field) return field->error();
  }
  if (!bill_id->has_value() || !status->has_value()) {
    return make_error(Errc::invalid_parameter, "bill_id and status are required");
  }
  n.bill_id = **bill_id;
  n.event.trade_no = trade_no->value_or("");
  if (**status == "failed") {
    n.event.kind = BillEventKind::provider_failure;
    return n;
  }
  if (**status != "success") return make_error(Errc::invalid_parameter, "status must be success or failed");
  n.event.kind = BillEventKind::provider_success;
  auto amount = json::get_amount(body, "amount");
  if (!amount) return amount.error();
  auto currency = json::get_string(body, "currency", 3);
  if (!currency) return currency.error();
  if (!amount->has_value() || !currency->has_value() || n.event.trade_no.empty()) {
    return make_error(Errc::invalid_parameter, "a success needs trade_no, amount and currency");
  }
  n.event.amount_minor = **amount;
  n.event.currency = **currency;
  return n;
}

// Records the callback's audit row, then answers with `outcome`.
void audit_then_answer(const CallPtr& call, storage::CallbackAudit audit, Result<EventResult> outcome) {
  if (outcome) {
    audit.verdict = "ignored";
    audit.detail = outcome->reason;
  } else {
    set_refused_verdict(audit, outcome.error());
  }
  call->api.db->write({storage::insert_callback_audit(audit)},
                      call->resume<std::vector<storage::Rows>>([call, outcome](auto written) {
                        if (!written)
                          spdlog::error("callback audit not written: {}", written.error().message);
                        if (!outcome) return call->fail(outcome.error());
                        call->reply(200, R"({"ok":true})");
                      }));
}

void count_outcome(const CallPtr& call, const Result<EventResult>& r) {
  Metrics& m = *call->api.metrics;
  if (r && r->verdict == Verdict::apply) {
    m.callbacks_accepted.fetch_add(1, std::memory_order_relaxed);
  } else if (r) {
    m.callbacks_ignored.fetch_add(1, std::memory_order_relaxed);
  } else {
    m.callbacks_refused.fetch_add(1, std::memory_order_relaxed);
    if (r.error().code == Errc::conflict) {
      m.callback_alerts.fetch_add(1, std::memory_order_relaxed);
      spdlog::error("ALERT sandbox callback refused for app {}: {}", call->params.at(0), r.error().message);
    }
  }
}

void on_verified(const CallPtr& call, storage::CallbackAudit audit) {
  auto body = json::parse(call->request.body, {call->api.config.server.max_json_depth});
  if (!body) return audit_then_answer(call, audit, body.error());
  auto notice = parse_notice(*body);
  if (!notice) return audit_then_answer(call, audit, notice.error());
  audit.bill_id = notice->bill_id;
  if (!looks_like_bill_id(notice->bill_id))
    return audit_then_answer(call, audit, make_error(Errc::not_found, "no such bill"));
  notice->event.app_id = audit.app_id;
  call->api.bills->apply(notice->bill_id, notice->event, audit,
                         call->resume<EventResult>([call, audit](Result<EventResult> r) {
                           count_outcome(call, r);
                           if (r && r->verdict == Verdict::apply) return call->reply(200, R"({"ok":true})");
                           audit_then_answer(call, audit, r);
                         }));
}

std::optional<std::string> sandbox_secret(const storage::App& app) {
  auto channels = json::parse(app.channels_json);
  if (!channels) return std::nullopt;
  const json::Value* sandbox = channels->find("sandbox");
  const json::Value* secret = sandbox ? sandbox->find("secret") : nullptr;
  if (!secret || secret->kind != json::Value::Kind::string || secret->string.empty()) return std::nullopt;
  return secret->string;
}

void verify_sandbox(const CallPtr& call, const storage::CallbackAudit& audit, AppSource source) {
  load_app(call, audit.app_id, source, [call, audit, source](std::optional<storage::App> app) {
    auto secret = app ? sandbox_secret(*app) : std::nullopt;
    std::string_view signature = call->request.header("x-sandbox-signature");
    bool verified = secret && signing::verify_sandbox_signature(*secret, call->request.body, signature);
    // A cached secret may be a second old: ask the database once before refusing (at most
    // once a second per app; an unknown app is known to be unknown).
    if (app && !verified && source == AppSource::cache && storage::claim_app_reread(audit.app_id))
      return verify_sandbox(call, audit, AppSource::database);
    if (!secret) {
      return refuse_unverified_callback(call, audit,
                                        make_error(Errc::not_found, "no sandbox channel for this app"));
    }
    if (!verified) {
      return refuse_unverified_callback(
          call, audit, make_error(Errc::bad_signature, "X-Sandbox-Signature does not match"));
    }
    on_verified(call, audit);
  });
}

}  // namespace

void sandbox_callback(const CallPtr& call) {
  if (!check_callback_app_id(call, call->params.at(0)) || !admit_app_lookup(call, call->params.at(0))) return;
  storage::CallbackAudit audit{
      call->params.at(0), "sandbox", "", crypto::sha256_hex(call->request.body), "", ""};
  verify_sandbox(call, audit, AppSource::cache);
}

}  // namespace unipay::handlers
