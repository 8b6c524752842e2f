#include "actors/verify_actor.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/actor_context.hpp"
#include "actors/backoff.hpp"
#include "actors/bill_querier.hpp"
#include "actors/bill_service.hpp"
#include "actors/delivery_attempt.hpp"
#include "actors/delivery_messages.hpp"
#include "actors/job_dispatcher.hpp"
#include "actors/verify_rules.hpp"

namespace unipay::vmsg {
struct Start {};
struct BillLoaded {
  Result<Bill> bill;
};
struct Answered {
  Result<QueryAnswer> answer;
};
struct Applied {
  Result<EventResult> result;
};
struct Ended {  // the job write (finish, reschedule, dead letter) answered
  Result<bool> still_owner;
};
}  // namespace unipay::vmsg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::vmsg::Start)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::vmsg::BillLoaded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::vmsg::Answered)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::vmsg::Applied)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::vmsg::Ended)

namespace unipay {
namespace {

using Action = VerifyStep::Action;

// Errors that say nothing about the bill (storage, a full queue, the provider): try again.
bool transient(const Error& error) {
  return error.code == Errc::server_busy || error.code == Errc::busy || error.code == Errc::storage_read ||
         error.code == Errc::storage_write;
}

VerifyPolicy policy_of(const config::Config& c) {
  return {c.channels.query_after_s,
          {c.delivery.backoff_initial_ms, c.delivery.backoff_max_ms},
          c.channels.verify_max_attempts};
}

// One query of one verify job (actors/verify_actor.hpp says what each answer does). Its job
// writes go through BillStorage::commit (the group writer), like the bill's own rows.
class VerifyActor : public caf::event_based_actor {
 public:
  VerifyActor(caf::actor_config& cfg, std::shared_ptr<const ActorContext> ctx, storage::Job job)
      : caf::event_based_actor(cfg), ctx_(std::move(ctx)), job_(std::move(job)) {}

  caf::behavior make_behavior() override {
    send(this, vmsg::Start{});
    return {
        [this](vmsg::Start) { load_bill(); },
        [this](vmsg::BillLoaded& m) { on_bill(std::move(m.bill)); },
        [this](vmsg::Answered& m) { on_answer(std::move(m.answer)); },
        [this](vmsg::Applied& m) { on_applied(std::move(m.result)); },
        [this](vmsg::Ended& m) { on_ended(std::move(m.still_owner)); },
    };
  }

 private:
  caf::actor self() { return this; }
  const std::string& owner() const { return ctx_->lease_owner; }
  const std::string& bill_id() const { return job_.bill_id; }

  void load_bill() {
    ctx_->bills->get(bill_id(), [self = self()](Result<Bill> bill) {
      caf::anon_send(self, vmsg::BillLoaded{std::move(bill)});
    });
  }

  void on_bill(Result<Bill> bill) {
    if (!bill && bill.error().code == Errc::not_found) return end_job(finish());
    if (!bill)
      return step(QueryOutcome::unreachable, fmt::format("bill unavailable: {}", bill.error().message));
    // Settled meanwhile (a callback came): nothing to ask. Its transition normally deleted
    // the job already; a stale copy here only costs one more claim.
    if (bill->state != BillState::created) return end_job(finish());
    bill_ = std::move(*bill);
    ctx_->querier->query(*bill_, job_.receipt, [self = self()](Result<QueryAnswer> answer) {
      caf::anon_send(self, vmsg::Answered{std::move(answer)});
    });
  }

  void on_answer(Result<QueryAnswer> answer) {
    if (!answer) {
      const auto outcome =
          answer.error().code == Errc::server_busy ? QueryOutcome::unreachable : QueryOutcome::refused;
      return step(outcome, answer.error().message);
    }
    answer_ = std::move(*answer);
    step(answer_->outcome, answer_->detail);
  }

  // Acts on the rules' decision for this outcome.
  void step(QueryOutcome outcome, const std::string& detail) {
    const Millis now = now_ms();
    const VerifyState state{job_.attempt + 1, now, bill_ ? bill_->expires_at : now};
    const VerifyStep next = next_verify_step(outcome, state, policy_of(ctx_->config), jitter_random());
    switch (next.action) {
      case Action::apply_paid:
        return apply(BillEventKind::provider_success);
      case Action::apply_failed:
        return apply(BillEventKind::provider_failure);
      case Action::finish:
        return end_job(finish());
      case Action::retry:
        return retry(next.delay, detail);
      case Action::dead_letter:
        spdlog::error("bill {}: verify job dead-lettered after {} queries: {}", bill_id(), state.attempt_done,
                      detail);
        return end_job(
            storage::dead_letter_job(job_.job_id, owner(), state.attempt_done, recordable_error(detail)));
    }
  }

  // The provider's word goes to the bill actor exactly as a verified callback's would.
  void apply(BillEventKind kind) {
    BillEvent event;
    event.kind = kind;
    event.app_id = bill_->app_id;
    event.trade_no = answer_->trade_no;
    event.amount_minor = answer_->amount_minor;
    event.currency = answer_->currency;
    event.store_item_id = answer_->item_id;  // app stores: judged by the item sold
    storage::CallbackAudit audit;
    audit.app_id = bill_->app_id;
    audit.channel = bill_->channel;
    audit.detail = "query";  // the bill actor appends its reason: "query: paid"
    ctx_->bills->apply(bill_id(), event, audit, [self = self()](Result<EventResult> r) {
      caf::anon_send(self, vmsg::Applied{std::move(r)});
    });
  }

  void on_applied(Result<EventResult> result) {
    if (result && result->verdict == Verdict::apply) {
      spdlog::info("bill {}: the provider's query found it {} (no callback came)", bill_id(), result->reason);
      return stop();  // the transition deleted the job
    }
    if (result) return end_job(finish());  // settled meanwhile: nothing left to ask
    if (transient(result.error()))
      return retry_after_failure(fmt::format("the bill actor: {}", result.error().message));
    // A refusal (another amount or currency, a second trade): never retried, an operator looks.
    spdlog::error("ALERT bill {}: the provider's query answer was refused: {}", bill_id(),
                  result.error().message);
    end_job(storage::dead_letter_job(job_.job_id, owner(), job_.attempt + 1,
                                     recordable_error(result.error().message)));
  }

  void retry_after_failure(const std::string& detail) {
    const VerifyStep next =
        next_verify_step(QueryOutcome::unreachable, {job_.attempt + 1, now_ms(), bill_->expires_at},
                         policy_of(ctx_->config), jitter_random());
    if (next.action == Action::retry) return retry(next.delay, detail);
    end_job(storage::dead_letter_job(job_.job_id, owner(), job_.attempt + 1, recordable_error(detail)));
  }

  storage::Statement finish() const { return storage::finish_job(job_.job_id, owner()); }

  void retry(std::chrono::milliseconds delay, const std::string& detail) {
    retry_in_ = delay;
    end_job(storage::reschedule_job(job_.job_id, owner(), job_.attempt + 1, delay, recordable_error(detail)));
  }

  void end_job(storage::Statement statement) {
    ctx_->bill_storage->commit({std::move(statement)},
                               [self = self()](Result<std::vector<storage::Rows>> rows) {
                                 caf::anon_send(self, vmsg::Ended{storage::lease_held(rows)});
                               });
  }

  void on_ended(Result<bool> owned) {
    if (!owned) {
      spdlog::warn("bill {}: writing its verify job failed ({}); it runs again once its lease runs out",
                   bill_id(), owned.error().message);
      retry_in_.reset();
    } else if (!*owned) {
      retry_in_.reset();  // another process holds the job now (or it is gone): it decides
    }
    stop();
  }

  // The dispatcher hears the query ended (its slot; when the job is due again), then this
  // actor ends. Queries never count against an app's circuit breaker (no_attempt).
  void stop() {
    if (ctx_->verify_dispatcher)
      send(ctx_->verify_dispatcher, msg::AttemptEnded{AttemptResult::no_attempt, retry_in_});
    quit();
  }

  std::shared_ptr<const ActorContext> ctx_;
  storage::Job job_;
  std::optional<Bill> bill_;
  std::optional<QueryAnswer> answer_;
  std::optional<std::chrono::milliseconds> retry_in_;
};

}  // namespace

caf::actor spawn_verify_attempt(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                                std::string bill_id, std::optional<storage::Job> job) {
  // Verify jobs are only ever claimed (msg::DeliverNow goes to the delivery dispatcher only);
  // without one, the actor's job writes match no row and it just ends.
  if (!job) job = storage::Job{0, "verify", std::move(bill_id), 0, {}, {}, "", ""};
  return system.spawn<VerifyActor>(std::move(context), std::move(*job));
}

caf::actor spawn_verify_dispatcher(caf::actor_system& system, std::shared_ptr<const ActorContext> context) {
  const config::Config& c = context->config;
  JobKind kind;
  kind.kind = "verify";
  // No per-app share beyond the total and no circuit breaker: one app's provider being slow
  // delays its own queries only by their deadline (delivery.timeout_ms).
  kind.limits = {c.channels.verify_max_concurrent, c.channels.verify_max_concurrent, 0,
                 c.delivery.breaker_cooldown_ms};
  kind.lease_ms = c.delivery.lease_ms;
  kind.poll_interval_ms = c.delivery.poll_interval_ms;
  kind.claim_batch = c.delivery.claim_batch;
  kind.give_up_after_s = c.delivery.give_up_after_s;
  kind.spawn_attempt = spawn_verify_attempt;
  return spawn_job_dispatcher(system, std::move(context), std::move(kind));
}

}  // namespace unipay
