#include "actors/delivery_attempt_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>

#include "actors/actor_context.hpp"
#include "actors/backoff.hpp"
#include "actors/bill_service.hpp"
#include "actors/delivery_attempt.hpp"
#include "actors/delivery_messages.hpp"
#include "actors/wallet_service.hpp"
#include "net/bill_json.hpp"
#include "net/crypto.hpp"
#include "net/wallet_json.hpp"
#include "storage/app_reads.hpp"
#include "storage/app_store.hpp"
#include "storage/delivery_attempt_store.hpp"

namespace unipay::dmsg {
struct JobLoaded {
  Result<std::optional<storage::Job>> job;
};
struct BillLoaded {
  Result<Bill> bill;
};
struct Recharged {
  Result<OpResult> credit;
};
struct AppLoaded {
  Result<std::optional<storage::App>> app;
};
struct AttemptDone {
  Result<OutboundResponse> response;
};
struct Confirmed {
  Result<EventResult> result;
};
struct Stored {
  Result<bool> still_owner;
};
struct Recorded {
  Status status;
};
struct Ended {  // the job was finished or dead-lettered
  Result<bool> still_owner;
};
struct Start {};
struct ConfirmAgain {};
}  // namespace unipay::dmsg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::JobLoaded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::BillLoaded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::AppLoaded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::Recharged)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::AttemptDone)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::Confirmed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::Stored)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::Recorded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::Ended)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::Start)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::dmsg::ConfirmAgain)

namespace unipay {
namespace {

using namespace std::chrono_literals;
constexpr auto kConfirmRetryDelay = 1s;
constexpr int kConfirmRetries = 30;

using storage::lease_held;

// One attempt of one delivery job, then the actor ends: on failure it stores the next
// attempt time and gives the lease up at that time (one write), so nothing waits in memory
// and a claim (any node's) takes the job when it is due. Every attempt is put on record
// (delivery_attempts) in the same write as what follows it: with the reschedule or the
// dead letter after a failure; after a 2xx, with the confirmation: the bill actor commits
// the record in the `delivered` statement itself (or alone when the bill needs no
// transition), so a delivered bill always has its 2xx attempt on record. Its last act tells the
// dispatcher how the attempt went (msg::AttemptEnded), which frees its slot.
class DeliveryActor : public caf::event_based_actor {
 public:
  DeliveryActor(caf::actor_config& cfg, std::shared_ptr<const ActorContext> ctx, std::string bill_id,
                std::optional<storage::Job> job)
      : caf::event_based_actor(cfg),
        ctx_(std::move(ctx)),
        bill_id_(std::move(bill_id)),
        job_(std::move(job)) {}

  caf::behavior make_behavior() override {
    if (job_) {
      send(this, dmsg::Start{});
    } else {
      load_job();
    }
    return {
        [this](dmsg::JobLoaded& m) { on_job(std::move(m.job)); },
        [this](dmsg::Start) { attempt(); },
        [this](dmsg::BillLoaded& m) { on_bill(std::move(m.bill)); },
        [this](dmsg::AppLoaded& m) { on_app(std::move(m.app)); },
        [this](dmsg::Recharged& m) { on_recharged(std::move(m.credit)); },
        [this](dmsg::AttemptDone& m) { on_attempt_done(std::move(m.response)); },
        [this](dmsg::Confirmed& m) { on_confirmed(std::move(m.result)); },
        [this](dmsg::ConfirmAgain) { confirm(); },
        [this](dmsg::Stored& m) { on_stored(std::move(m.still_owner)); },
        [this](dmsg::Recorded& m) { on_recorded(std::move(m.status)); },
        [this](dmsg::Ended& m) { on_ended(std::move(m.still_owner)); },
    };
  }

 private:
  const config::DeliveryConfig& cfg() const { return ctx_->config.delivery; }
  const std::string& owner() const { return ctx_->lease_owner; }
  caf::actor self() { return this; }

  // Attempt 1 right after the transition runs only where the transition leased the job: a
  // job leased to another process is that one's to run (or the poller's, once it expires).
  void load_job() {
    ctx_->db->read(storage::select_job_for_bill("delivery", bill_id_),
                   [self = self(), owner = owner()](Result<storage::Rows> rows) {
                     if (!rows) return caf::anon_send(self, dmsg::JobLoaded{rows.error()});
                     auto jobs = storage::parse_jobs(*rows);
                     bool dead = !rows->empty() && rows->text(0, 7) == "t";
                     bool ours = !rows->empty() && rows->text(0, 8) == owner;
                     std::optional<storage::Job> job;
                     if (!jobs.empty() && !dead && ours) job = jobs.front();
                     caf::anon_send(self, dmsg::JobLoaded{job});
                   });
  }

  void on_job(Result<std::optional<storage::Job>> job) {
    if (!job || !job->has_value())
      return stop();  // settled, dead, not ours, or unreadable: a claim retries it
    job_ = std::move(**job);
    attempt();
  }

  void attempt() {
    started_at_ = now_ms();
    attempt_key_ = crypto::random_base64url(16);  // also the request's nonce
    posted_at_.reset();
    ctx_->bills->get(bill_id_, [self = self()](Result<Bill> bill) {
      caf::anon_send(self, dmsg::BillLoaded{std::move(bill)});
    });
  }

  void on_bill(Result<Bill> bill) {
    if (!bill) return failed("bill unavailable: " + bill.error().message);
    const bool recharge = bill->bill_type == BillType::recharge;
    if (recharge && ledger_entry_json_.empty() &&
        (bill->state == BillState::paid || bill->state == BillState::delivered)) {
      return credit_recharge(std::move(*bill));
    }
    // A credited recharge bill is delivered before the game server hears of it.
    const bool credited = recharge && bill->state == BillState::delivered;
    if (!credited && bill->state == BillState::delivered) return finish_settled();
    // A refunded bill's job delivers bill.refunded (net/bill_json.cpp names the event).
    const bool refunded = bill->state == BillState::refunded;
    if (bill->state != BillState::paid && !credited && !refunded) {
      // A job exists only for a paid bill: this node's copy is stale (another node committed
      // `paid` while our LISTEN connection was down). Re-read it and try again later; never
      // drop the job on a stale reading.
      ctx_->bills->refresh(bill_id_);
      return failed("bill reads as " + std::string(to_string(bill->state)) + " on this node");
    }
    bill_ = std::move(*bill);
    if (auto app = storage::cached_app(bill_->app_id))
      return on_app(std::optional<storage::App>(std::move(app)));
    ctx_->db->read(storage::select_app(bill_->app_id), [self = self()](Result<storage::Rows> rows) {
      if (!rows) return caf::anon_send(self, dmsg::AppLoaded{rows.error()});
      caf::anon_send(self, dmsg::AppLoaded{storage::parse_app(*rows)});
    });
  }

  // A recharge bill: the wallet actor of account user_id commits the credit and the bill's
  // move to delivered in one transaction (exactly once: its op_id comes from the bill id;
  // a later attempt gets the same entry back as a replay). Then the bill is read again,
  // delivered, and the game server is sent bill.paid carrying the ledger entry.
  void credit_recharge(Bill bill) {
    ctx_->wallets->recharge(bill, [self = self()](Result<OpResult> credit) {
      caf::anon_send(self, dmsg::Recharged{std::move(credit)});
    });
  }

  void on_recharged(Result<OpResult> credit) {
    if (!credit) return failed("recharge credit failed: " + credit.error().message);
    if (credit->error) return failed("recharge credit refused: " + credit->error_message);
    if (!credit->entry) return failed("recharge credit has no ledger entry");
    ledger_entry_json_ = entry_json(*credit->entry);
    ctx_->bills->refresh(bill_id_);  // its actor re-reads the row the credit changed
    ctx_->bills->get(bill_id_, [self = self()](Result<Bill> bill) {
      caf::anon_send(self, dmsg::BillLoaded{std::move(bill)});
    });
  }

  void on_app(Result<std::optional<storage::App>> app) {
    if (!app || !app->has_value() || (*app)->secrets.empty()) return failed("app unavailable");
    const storage::App& a = **app;
    storage::remember_app(a);  // this actor thread's cache
    int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    auto request =
        build_delivery_request({a.app_id, a.delivery_url, a.secrets.front()}, *bill_, job_->attempt + 1,
                               now_s, attempt_key_, cfg().timeout_ms, ledger_entry_json_);
    if (!request) return failed(request.error().message);
    started_at_ = now_ms();
    posted_at_ = std::chrono::steady_clock::now();
    ctx_->transport->post(std::move(*request), [self = self()](Result<OutboundResponse> r) {
      caf::anon_send(self, dmsg::AttemptDone{std::move(r)});
    });
  }

  void on_attempt_done(Result<OutboundResponse> response) {
    AttemptOutcome outcome = classify_attempt(response);
    result_ = outcome.delivered ? AttemptResult::delivered : AttemptResult::failed;
    if (!outcome.delivered) return failed(outcome.error, outcome.http_status);
    record_ = attempt_record(outcome.http_status, "");
    confirm();
  }

  // The attempt as recorded: started_at is when the POST went out (when the attempt
  // began if it never did), latency the POST's round trip.
  storage::DeliveryAttempt attempt_record(std::optional<int> http_status, const std::string& error) const {
    storage::DeliveryAttempt a;
    a.attempt_key = attempt_key_;
    a.bill_id = bill_id_;
    a.delivery_id = delivery_id_for(bill_id_, bill_ ? bill_->state : BillState::paid);
    a.attempt = job_->attempt + 1;
    a.node_id = owner();
    a.started_at = started_at_;
    a.http_status = http_status;
    a.error = recordable_error(error);
    if (posted_at_) {
      a.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                           *posted_at_)
                         .count();
    }
    return a;
  }

  // The game server has the item: the bill actor puts the 2xx attempt on record with the
  // `delivered` transition, or alone when the bill is settled already. The insert is
  // idempotent (attempt_key), so a confirmation whose outcome is unknown is simply sent again.
  void confirm() {
    ctx_->bills->confirm_delivery(bill_id_, *record_, [self = self()](Result<EventResult> r) {
      caf::anon_send(self, dmsg::Confirmed{std::move(r)});
    });
  }

  void on_confirmed(Result<EventResult> result) {
    if (result) {
      // bill.paid got its 2xx but the bill was refunded meanwhile: the job is not done until
      // the game server also has bill.refunded, so attempt again at once.
      if (bill_->state == BillState::paid && result->bill.state == BillState::refunded) {
        job_->attempt = record_->attempt;
        return attempt();
      }
      if (result->verdict == Verdict::ignore) return finish_settled();
      return stop();  // `delivered` committed together with the record and the job's deletion
    }
    // The game server has the item: never deliver again for a storage hiccup, only retry
    // confirming it.
    if (++confirm_tries_ > kConfirmRetries) return give_up_confirming();
    if (result.error().code == Errc::conflict) ctx_->bills->refresh(bill_id_);  // stale copy here
    spdlog::warn("bill {}: recording delivery failed ({}), retrying", bill_id_, result.error().message);
    delayed_send(this, kConfirmRetryDelay, dmsg::ConfirmAgain{});
  }

  // The bill actor never confirmed: the lease runs out and the at-least-once rule delivers
  // again. This attempt still goes on record, on its own (every attempt is, exactly once).
  void give_up_confirming() {
    spdlog::error(
        "bill {}: confirming delivery attempt {} failed {} times; giving up, the lease will run out",
        bill_id_, record_->attempt, kConfirmRetries);
    ctx_->db->write({storage::insert_delivery_attempt(*record_)},
                    [self = self()](Result<std::vector<storage::Rows>> rows) {
                      if (!rows) return caf::anon_send(self, dmsg::Recorded{rows.error()});
                      caf::anon_send(self, dmsg::Recorded{ok_status()});
                    });
  }

  void on_recorded(Status status) {
    if (!status) {
      spdlog::error("bill {}: recording delivery attempt {} (HTTP {}) failed: {}", bill_id_, record_->attempt,
                    record_->http_status.value_or(0), status.error().message);
    }
    stop();
  }

  void finish_settled() { end_job({storage::finish_job(job_->job_id, owner())}); }

  // Finishing and dead-lettering need the lease too: when another process holds the job
  // now, nothing changes and this actor stops quietly (the holder decides).
  // Ends the job with its last statement (finish or dead letter), after any attempt record.
  void end_job(std::vector<storage::Statement> statements) {
    ctx_->db->write(std::move(statements), [self = self()](Result<std::vector<storage::Rows>> rows) {
      caf::anon_send(self, dmsg::Ended{lease_held(rows)});
    });
  }

  void on_ended(Result<bool> owned) {
    if (!owned) {
      spdlog::warn("bill {}: ending the delivery job failed ({}); it runs again once its lease runs out",
                   bill_id_, owned.error().message);
    } else if (!*owned) {
      spdlog::info("bill {}: another process holds the delivery job now; stopping here", bill_id_);
    } else if (dead_reason_) {
      spdlog::error("bill {}: delivery dead-lettered after {} attempts: {}", bill_id_, job_->attempt,
                    *dead_reason_);
    }
    stop();
  }

  // The attempt failed: record it together with the dead letter or the reschedule (one
  // write: the record and the job's next step commit or fail together).
  void failed(const std::string& reason, std::optional<int> http_status = std::nullopt) {
    record_ = attempt_record(http_status, reason);
    const int attempt_done = record_->attempt;
    const std::string error = record_->error;
    auto age = now_ms() - job_->created_at;
    if (age >= cfg().give_up_after_s) {
      job_->attempt = attempt_done;
      dead_reason_ = error;
      return end_job({storage::insert_delivery_attempt(*record_),
                      storage::dead_letter_job(job_->job_id, owner(), attempt_done, error)});
    }
    delay_ = backoff_delay({cfg().backoff_initial_ms, cfg().backoff_max_ms}, attempt_done, jitter_random());
    spdlog::info("bill {}: delivery attempt {} failed ({}); next in {} ms", bill_id_, attempt_done, error,
                 delay_.count());
    job_->attempt = attempt_done;
    ctx_->db->write({storage::insert_delivery_attempt(*record_),
                     storage::reschedule_job(job_->job_id, owner(), attempt_done, delay_, error)},
                    [self = self()](Result<std::vector<storage::Rows>> rows) {
                      caf::anon_send(self, dmsg::Stored{lease_held(rows)});
                    });
  }

  void on_stored(Result<bool> still_owner) {
    if (!still_owner) {
      spdlog::error("bill {}: storing delivery attempt {} and its retry failed: {}", bill_id_,
                    record_->attempt, still_owner.error().message);
    }
    // Not stored, or another node holds the job now: stop; the lease decides who retries.
    if (!still_owner || !*still_owner) return stop();
    retry_in_ = delay_;
    stop();
  }

  // The dispatcher hears how the attempt went (its slot, the app's breaker, when the job
  // is due again); then this actor ends.
  void stop() {
    send(ctx_->dispatcher, msg::AttemptEnded{result_, retry_in_});
    quit();
  }

  std::shared_ptr<const ActorContext> ctx_;
  std::string bill_id_;
  std::optional<storage::Job> job_;
  std::optional<Bill> bill_;
  std::string ledger_entry_json_;  // a recharge bill's credit, sent with bill.paid
  std::chrono::milliseconds delay_{0};
  int confirm_tries_ = 0;
  // The attempt in progress: its key (the request nonce), when it started, when its POST
  // went out, and its record once the outcome is known.
  std::string attempt_key_;
  Millis started_at_{};
  std::optional<std::chrono::steady_clock::time_point> posted_at_;
  std::optional<storage::DeliveryAttempt> record_;
  std::optional<std::string> dead_reason_;  // set while dead-lettering
  AttemptResult result_ = AttemptResult::no_attempt;
  std::optional<std::chrono::milliseconds> retry_in_;  // set once the reschedule is stored
};

}  // namespace

caf::actor spawn_delivery_attempt(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                                  std::string bill_id, std::optional<storage::Job> job) {
  return system.spawn<DeliveryActor>(std::move(context), std::move(bill_id), std::move(job));
}

}  // namespace unipay
