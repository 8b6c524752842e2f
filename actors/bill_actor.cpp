#include "actors/bill_actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/all.hpp>
#include <cassert>
#include <deque>
#include <limits>
#include <map>
#include <utility>

#include "actors/actor_context.hpp"
#include "actors/bill_messages.hpp"
#include "actors/bill_querier.hpp"
#include "actors/coarse_timer.hpp"
#include "actors/delivery_messages.hpp"
#include "actors/keyed_actors.hpp"
#include "actors/verify_rules.hpp"

namespace unipay {
namespace {

using namespace std::chrono_literals;

// What the actor is doing. Requests are served only when it is `ready`; otherwise they wait
// in the bounded queue (pending_).
enum class Phase {
  unloaded,    // no row held and none being read (just spawned, or the first read failed)
  loading,     // a read of the row is running (an older row may be held meanwhile)
  ready,       // the row is held and nothing is running
  committing,  // the creation or one transition is being committed (in_flight_)
};

// The version wanted after a "re-read everything" refresh: no row held satisfies it.
constexpr int64_t kAnyNewerVersion = std::numeric_limits<int64_t>::max();

// The commit's answer for the actor: applied or not (compare-and-set lost), or an error,
// and the delivery job a transition leased here. A trade number that another bill already
// holds is a second charge: a conflict.
msg::Committed commit_answer(const Result<std::vector<storage::Rows>>& rows, bool transition) {
  if (!rows) return {rows.error(), std::nullopt};
  if (rows->empty()) return {false, std::nullopt};
  if (!transition) {
    switch (storage::parse_create_outcome((*rows)[0])) {
      case storage::CreateOutcome::created:
        return {true, std::nullopt};
      case storage::CreateOutcome::idempotency_key_exists:
        return {false, std::nullopt};
      case storage::CreateOutcome::nonce_used:
        return {make_error(Errc::replayed, "nonce already used"), std::nullopt};
    }
  }
  storage::TransitionOutcome outcome = storage::parse_transition_outcome((*rows)[0]);
  if (outcome.trade_no_taken) {
    return {
        make_error(Errc::conflict, "trade_no already used by another bill: a second charge for one trade"),
        std::nullopt};
  }
  return {outcome.applied, std::move(outcome.leased_job)};
}

struct Waiter {
  WaitUntil until;
  Reply<WaitResult> reply;
  uint64_t wait_id = 0;  // the caller's, for Abandon
};

// The transition being committed, kept until the writer answers.
struct InFlight {
  bool is_create = false;
  bool is_record = false;  // a delivery attempt recorded alone, `decision` answered after it
  Bill next;
  Decision decision;
  msg::Event event;                  // for transitions
  Reply<CreateResult> create_reply;  // for creation
};

class BillActor : public caf::event_based_actor {
 public:
  BillActor(caf::actor_config& cfg, std::shared_ptr<const ActorContext> ctx, std::string bill_id)
      : caf::event_based_actor(cfg), ctx_(std::move(ctx)), bill_id_(std::move(bill_id)) {}

  caf::behavior make_behavior() override {
    schedule_idle_check();
    return {
        [this](msg::BillRequest& r) {
          touch();
          on_request(std::move(r));
        },
        [this](msg::Create& c) {
          touch();
          on_create(std::move(c));
        },
        [this](msg::Loaded& l) { on_loaded(std::move(l.row)); },
        [this](msg::Committed& c) { on_committed(std::move(c)); },
        [this](msg::WaiterDeadline d) { on_deadline(d.waiter_id); },
        [this](msg::IdleCheck) { on_idle_check(); },
    };
  }

 private:
  const config::BillsConfig& limits() const { return ctx_->config.bills; }
  void touch() { idle_.touch(); }

  // --- requests -------------------------------------------------------------------------

  void on_request(msg::BillRequest r) {
    if (auto* refresh = std::get_if<msg::Refresh>(&r.command)) return on_refresh(refresh->version);
    // In any phase: the abandoned wait may be parked, or queued behind a read or commit.
    if (auto* abandon = std::get_if<msg::Abandon>(&r.command)) return on_abandon(abandon->wait_id);
    if (!serving()) return defer(std::move(r));
    std::visit([this](auto& cmd) { handle(cmd); }, r.command);
  }

  // Requests are answered from the row held while it is current: ready, or committing (a
  // read shows the last committed row; handle(Event) queues events until the commit ends).
  bool serving() const {
    return bill_ && (phase_ == Phase::ready || phase_ == Phase::committing) && !known_stale();
  }

  void handle(msg::Get& get) { get.reply(*bill_); }

  void handle(msg::Wait& wait) {
    if (wait_satisfied(bill_->state, wait.until)) return wait.reply(WaitResult{*bill_, false});
    if (wait.timeout <= 0ms) return wait.reply(WaitResult{*bill_, true});
    if (waiters_.size() >= ctx_->config.server.max_waiters_per_bill) {
      return wait.reply(make_error(Errc::busy, "too many waiters on this bill"));
    }
    uint64_t id = ++next_waiter_id_;
    waiters_.emplace(id, Waiter{wait.until, std::move(wait.reply), wait.wait_id});
    send_after(this, ctx_->timer, wait.timeout, msg::WaiterDeadline{id});
  }

  void handle(msg::Event& ev) {
    if (in_flight_) {  // one commit at a time keeps the compare-and-set simple and exact
      return defer(msg::BillRequest{bill_id_, std::move(ev)});
    }
    Decision decision = decide(*bill_, ev.event);
    if (decision.verdict == Verdict::apply) return commit_transition(std::move(ev), std::move(decision));
    if (ev.attempt) return record_attempt(std::move(ev), std::move(decision));
    answer_unapplied(ev, decision);
  }

  // A refusal or an ignored event: nothing to commit.
  void answer_unapplied(msg::Event& ev, const Decision& decision) {
    if (decision.verdict == Verdict::refuse) return ev.reply(make_error(decision.refusal, decision.reason));
    ev.reply(EventResult{*bill_, Verdict::ignore, decision.reason, decision.alert});
  }

  void handle(msg::Refresh& refresh) { on_refresh(refresh.version); }
  void handle(msg::Abandon& abandon) { on_abandon(abandon.wait_id); }

  void defer(msg::BillRequest r) {
    if (pending_.size() >= limits().max_pending_events_per_bill) {
      return msg::fail(r, make_error(Errc::busy, "too many requests queued on this bill"));
    }
    pending_.push_back(std::move(r));
    if (phase_ == Phase::unloaded || phase_ == Phase::ready) load();  // ready: the row is stale
  }

  // Replays queued requests while the actor is ready for them.
  void drain() {
    while (!pending_.empty() && phase_ == Phase::ready && !known_stale()) {
      msg::BillRequest r = std::move(pending_.front());
      pending_.pop_front();
      std::visit([this](auto& cmd) { handle(cmd); }, r.command);
    }
  }

  // --- loading and refreshing -----------------------------------------------------------

  // A NOTIFY named `version` (0: the LISTEN connection came back, anything may have changed).
  void on_refresh(int64_t version) {
    // Our own commits notify too, often before their Committed message arrives: skip the
    // read when we hold that version, or are committing it right now.
    if (version != 0 && bill_ && bill_->version >= version) return;
    if (version != 0 && in_flight_ && in_flight_->next.version >= version) return;
    wanted_version_ = std::max(wanted_version_, version == 0 ? kAnyNewerVersion : version);
    // A read or commit running now may not show that change: on_loaded and after_commit
    // compare what they got with wanted_version_ and read again if it is older.
    if (phase_ == Phase::loading || phase_ == Phase::committing) return;
    load();
  }

  // A notification named a newer version than the row held, and no read has shown it yet
  // (the last one failed): requests wait for a read.
  bool known_stale() const { return bill_ && bill_->version < wanted_version_; }

  void load() {
    phase_ = Phase::loading;
    // NOTIFY is sent after COMMIT, so this read (on any connection) shows every version
    // notified so far: only notifications that arrive while it runs can be newer. Each
    // extra read is caused by such a notification, so reads never loop on their own.
    reading_for_version_ = std::exchange(wanted_version_, 0);
    caf::actor self = this;
    ctx_->bill_storage->load(bill_id_, [self](Result<std::optional<Bill>> row) {
      caf::anon_send(self, msg::Loaded{std::move(row)});
    });
  }

  void on_loaded(Result<std::optional<Bill>> row) {
    int64_t read_for = std::exchange(reading_for_version_, 0);
    phase_ = bill_ ? Phase::ready : Phase::unloaded;
    if (!row) {
      spdlog::warn("bill {}: load failed: {}", bill_id_, row.error().message);
      wanted_version_ = std::max(wanted_version_, read_for);  // still owed: the next request reads
      fail_pending(make_error(Errc::storage_read, "could not read the bill"));
      return;
    }
    if (!row->has_value()) {
      fail_pending(make_error(Errc::not_found, "no such bill"));
      if (!bill_) quit();  // nothing to own: free the slot
      return;
    }
    bill_ = std::move(**row);
    phase_ = Phase::ready;
    wake_waiters();
    if (bill_->version < wanted_version_) return load();  // notified during the read: read again
    if (bill_->version < read_for && read_for != kAnyNewerVersion) {
      spdlog::warn("bill {}: read version {} after a notification of version {}", bill_id_, bill_->version,
                   read_for);
    }
    drain();
  }

  void fail_pending(const Error& error) {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& r : pending) msg::fail(r, error);
  }

  // --- creation -------------------------------------------------------------------------

  void on_create(msg::Create c) {
    assert(phase_ == Phase::unloaded);  // the registry sends Create first, to a new actor
    phase_ = Phase::committing;
    in_flight_ = InFlight{};
    in_flight_->is_create = true;
    in_flight_->next = c.bill;
    in_flight_->create_reply = c.reply;
    // The creator is answered from the writer's thread as soon as the commit says created:
    // one hand-off less before the 201. This actor learns it in parallel; a request reaching
    // it first waits in pending_, as during any commit. A Reply runs once, so the one in
    // on_create_committed is then a no-op; refusals and unknown outcomes still go there.
    caf::actor self = this;
    auto done = [self, reply = std::move(c.reply),
                 bill = c.bill](Result<std::vector<storage::Rows>> rows) mutable {
      msg::Committed committed = commit_answer(rows, /*transition=*/false);
      if (committed.applied && *committed.applied) reply(CreateResult{true, std::move(bill)});
      caf::anon_send(self, std::move(committed));
    };
    ctx_->bill_storage->commit_new_work(
        {storage::insert_bill(c.bill, c.idempotency, static_cast<int>(limits().idempotency_keep_s.count()),
                              verify_due(c.bill), c.nonce)},
        std::move(done));
  }

  // A bill of a channel with a query API is created with its verify job (the janitor), in
  // the same statement, so no crash can leave it without one.
  std::optional<Millis> verify_due(const Bill& bill) const {
    if (ctx_->querier == nullptr || !ctx_->querier->can_query(bill.channel)) return std::nullopt;
    return first_verify_due(bill.created_at, bill.expires_at, ctx_->config.channels.query_after_s);
  }

  // --- transitions ----------------------------------------------------------------------

  // A 2xx delivery attempt whose confirmation changes nothing (the bill is delivered or
  // refunded already, or this copy refuses it as stale): the game server has the goods, so
  // the attempt goes on record alone, and the decision is answered once it is.
  void record_attempt(msg::Event ev, Decision decision) {
    storage::Statement insert = storage::insert_delivery_attempt(*ev.attempt);
    phase_ = Phase::committing;
    in_flight_ = InFlight{false, true, *bill_, std::move(decision), std::move(ev), {}};
    // Accepted work (the writer's reserved room, as a transition); only an error is read back.
    submit({std::move(insert)}, /*transition=*/true);
  }

  void on_record_committed(InFlight done, const Result<bool>& written) {
    if (!written) {
      // Busy (nothing written) or unknown: the sender retries; the insert is idempotent.
      spdlog::warn("bill {}: recording delivery attempt {} failed: {}", bill_id_,
                   done.event.attempt->attempt_key, written.error().message);
      bool unknown = written.error().code == Errc::storage_write;
      done.event.reply(
          unknown ? make_error(Errc::storage_write, "the delivery attempt may not have been recorded")
                  : written.error());
    } else {
      answer_unapplied(done.event, done.decision);
    }
    after_commit();
  }

  void commit_transition(msg::Event ev, Decision decision) {
    storage::TransitionWrite write;
    write.next = apply_decision(*bill_, decision, ev.event, now_ms());
    write.expected_version = bill_->version;
    // Only a delivery confirmation carries an attempt, and it always does (the delivery
    // actor sends it): the statement that makes a bill delivered records its 2xx attempt,
    // so a delivered bill always has it on record.
    if (write.next.state == BillState::delivered) {
      assert(ev.attempt && "a delivery is confirmed with its 2xx attempt");
      write.attempt = ev.attempt;
    }
    write.lease_owner = ctx_->lease_owner;
    write.lease = ctx_->config.delivery.lease_ms;
    if (ev.audit) {
      write.audit = ev.audit;
      write.audit->bill_id = bill_id_;
      write.audit->verdict = "accepted";
      // A detail given by the sender says where the event came from ("query: paid").
      write.audit->detail =
          ev.audit->detail.empty() ? decision.reason : ev.audit->detail + ": " + decision.reason;
    }
    phase_ = Phase::committing;
    in_flight_ = InFlight{false, false, write.next, std::move(decision), std::move(ev), {}};
    submit({storage::transition_statement(write)}, /*transition=*/true);
  }

  // A creation is new work (refused first under overload); a transition finishes work
  // already accepted (a callback, a delivery), so it keeps the writer's reserved room.
  void submit(std::vector<storage::Statement> statements, bool transition) {
    caf::actor self = this;
    auto done = [self, transition](Result<std::vector<storage::Rows>> rows) {
      caf::anon_send(self, commit_answer(rows, transition));
    };
    if (transition) return ctx_->bill_storage->commit(std::move(statements), std::move(done));
    ctx_->bill_storage->commit_new_work(std::move(statements), std::move(done));
  }

  void on_committed(msg::Committed committed) {
    Result<bool> applied = std::move(committed.applied);
    InFlight done = std::move(*in_flight_);
    in_flight_.reset();
    phase_ = bill_ ? Phase::ready : Phase::unloaded;
    if (done.is_create) return on_create_committed(std::move(done), std::move(applied));
    if (done.is_record) return on_record_committed(std::move(done), applied);
    if (!applied && applied.error().code != Errc::storage_write) {
      // Refused, so nothing was saved and the bill is as it was: a trade number another
      // bill holds or a value the database cannot store (no retry helps), or a full write
      // queue (busy: retry later).
      if (applied.error().code == Errc::conflict) {
        spdlog::error("bill {}: transition refused as a second charge, trade_no {}: {}", bill_id_,
                      done.next.provider_trade_no, applied.error().message);
      }
      done.event.reply(applied.error());
      return after_commit();
    }
    if (!applied) {
      // Outcome unknown: tell the caller to retry, and re-read the row before anything else.
      spdlog::error("bill {}: commit failed: {}", bill_id_, applied.error().message);
      done.event.reply(make_error(Errc::storage_write, "the transition may not have been saved"));
      load();
      return;
    }
    if (!*applied) {
      // Another node changed the bill first: re-read it, then decide this event again.
      pending_.push_front(msg::BillRequest{bill_id_, std::move(done.event)});
      load();
      return;
    }
    bill_ = done.next;
    done.event.reply(EventResult{*bill_, Verdict::apply, done.decision.reason});
    // The job comes with the commit, leased here: the attempt starts without reading it back.
    // None although asked for: another process holds its live lease, and that one attempts it.
    if (done.decision.enqueue_delivery && committed.delivery_job)
      caf::anon_send(ctx_->dispatcher,
                     msg::DeliverNow{bill_id_, bill_->app_id, std::move(committed.delivery_job)});
    if (done.decision.late_payment) spdlog::warn("bill {}: late payment recorded", bill_id_);
    wake_waiters();
    after_commit();
  }

  void on_create_committed(InFlight done, Result<bool> applied) {
    if (!applied) {
      // A refusal (a value the database cannot store, a full write queue) is passed on: the
      // bill was not saved. Only storage_write may have saved it. A replayed nonce is the
      // client's doing, answered like any replay, not an error of ours; a refusal under load
      // (busy, overloaded) is counted in /metrics, and a line per refusal would flood the log.
      const Errc code = applied.error().code;
      if (code != Errc::replayed && code != Errc::busy && code != Errc::overloaded)
        spdlog::error("bill {}: create failed: {}", bill_id_, applied.error().message);
      bool unknown = applied.error().code == Errc::storage_write;
      done.create_reply(unknown ? make_error(Errc::storage_write, "the bill may not have been saved")
                                : applied.error());
      return quit();
    }
    if (!*applied) {  // the idempotency key existed: the handler replays the first answer
      done.create_reply(CreateResult{false, done.next});
      return quit();
    }
    bill_ = done.next;
    phase_ = Phase::ready;
    done.create_reply(CreateResult{true, *bill_});
    after_commit();
  }

  void after_commit() {
    if (bill_->version < wanted_version_) return load();  // notified of a newer version meanwhile
    drain();
  }

  // --- waiters and lifetime -------------------------------------------------------------

  void wake_waiters() {
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (wait_satisfied(bill_->state, it->second.until)) {
        it->second.reply(WaitResult{*bill_, false});
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // The long poll's client went away: answer its wait now, so its slot (one of
  // max_waiters_per_bill) and the connection's resources are free for a real client.
  void on_abandon(uint64_t wait_id) {
    if (wait_id == 0) return;
    const Error gone = make_error(Errc::server_busy, "the client went away");
    auto parked = std::find_if(waiters_.begin(), waiters_.end(),
                               [wait_id](const auto& entry) { return entry.second.wait_id == wait_id; });
    if (parked != waiters_.end()) {
      parked->second.reply(gone);
      waiters_.erase(parked);
      return;
    }
    auto queued = std::find_if(pending_.begin(), pending_.end(), [wait_id](const msg::BillRequest& r) {
      const auto* wait = std::get_if<msg::Wait>(&r.command);
      return wait != nullptr && wait->wait_id == wait_id;
    });
    if (queued == pending_.end()) return;  // answered already
    msg::fail(*queued, gone);
    pending_.erase(queued);
  }

  void on_deadline(uint64_t waiter_id) {
    auto it = waiters_.find(waiter_id);
    if (it == waiters_.end()) return;
    it->second.reply(WaitResult{*bill_, !wait_satisfied(bill_->state, it->second.until)});
    waiters_.erase(it);
  }

  // Settled bills (nothing left to happen but a rare refund or a late callback) make way
  // sooner: at thousands of bills a second, live actors would otherwise pile up.
  std::chrono::milliseconds idle_limit() const {
    bool settled = bill_ && bill_->state != BillState::created && bill_->state != BillState::paid;
    return settled ? std::min(limits().settled_actor_idle_ms, limits().actor_idle_ms)
                   : limits().actor_idle_ms;
  }

  void schedule_idle_check() {
    const auto every = std::min(limits().settled_actor_idle_ms, limits().actor_idle_ms);
    send_after(this, ctx_->timer, every, msg::IdleCheck{});
  }

  void on_idle_check() {
    bool busy =
        !waiters_.empty() || !pending_.empty() || phase_ == Phase::loading || phase_ == Phase::committing;
    if (!busy && idle_.idle_for(idle_limit())) return quit();
    schedule_idle_check();
  }

  std::shared_ptr<const ActorContext> ctx_;
  std::string bill_id_;
  Phase phase_ = Phase::unloaded;
  std::optional<Bill> bill_;
  // The highest version a notification named that no read has shown yet (0: none;
  // kAnyNewerVersion: re-read whatever is held), and what the running read must show.
  int64_t wanted_version_ = 0;
  int64_t reading_for_version_ = 0;
  std::optional<InFlight> in_flight_;  // exactly while committing
  std::deque<msg::BillRequest> pending_;
  std::map<uint64_t, Waiter> waiters_;
  uint64_t next_waiter_id_ = 0;
  IdleClock idle_;
};

}  // namespace

caf::actor spawn_bill_actor(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                            std::string bill_id) {
  return system.spawn<BillActor>(std::move(context), std::move(bill_id));
}

}  // namespace unipay
