#include "actors/bill_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <deque>
#include <map>

#include "actors/actor_context.hpp"
#include "actors/bill_messages.hpp"
#include "actors/delivery_messages.hpp"

namespace unipay {
namespace {

using namespace std::chrono_literals;

struct Waiter {
  WaitUntil until;
  Reply<WaitResult> reply;
};

// The transition being committed, kept until the writer answers.
struct InFlight {
  bool is_create = false;
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
        [this](msg::Committed& c) { on_committed(std::move(c.applied)); },
        [this](msg::WaiterDeadline d) { on_deadline(d.waiter_id); },
        [this](msg::IdleCheck) { on_idle_check(); },
    };
  }

 private:
  const config::BillsConfig& limits() const { return ctx_->config.bills; }
  void touch() { last_activity_ = std::chrono::steady_clock::now(); }

  // --- requests -------------------------------------------------------------------------

  void on_request(msg::BillRequest r) {
    if (auto* refresh = std::get_if<msg::Refresh>(&r.command)) {
      // Our own commits notify too, often before their Committed message arrives: skip the
      // read when we hold that version, or are committing it right now.
      if (refresh->version != 0 && bill_ && bill_->version >= refresh->version) return;
      if (refresh->version != 0 && in_flight_ && in_flight_->next.version >= refresh->version) return;
      return request_refresh();
    }
    if (!bill_ || loading_) return defer(std::move(r));
    std::visit([this](auto& cmd) { handle(cmd); }, r.command);
  }

  void handle(msg::Get& get) { get.reply(*bill_); }

  void handle(msg::Wait& wait) {
    if (wait_satisfied(bill_->state, wait.until)) return wait.reply(WaitResult{*bill_, false});
    if (wait.timeout <= 0ms) return wait.reply(WaitResult{*bill_, true});
    if (waiters_.size() >= ctx_->config.server.max_waiters_per_bill) {
      return wait.reply(make_error(Errc::busy, "too many waiters on this bill"));
    }
    uint64_t id = ++next_waiter_id_;
    waiters_.emplace(id, Waiter{wait.until, std::move(wait.reply)});
    delayed_send(this, wait.timeout, msg::WaiterDeadline{id});
  }

  void handle(msg::Event& ev) {
    if (in_flight_) {  // one commit at a time keeps the compare-and-set simple and exact
      return defer(msg::BillRequest{bill_id_, std::move(ev)});
    }
    Decision decision = decide(*bill_, ev.event);
    if (decision.verdict == Verdict::refuse) {
      return ev.reply(make_error(decision.refusal, decision.reason));
    }
    if (decision.verdict == Verdict::ignore) {
      return ev.reply(EventResult{*bill_, Verdict::ignore, decision.reason});
    }
    commit_transition(std::move(ev), std::move(decision));
  }

  void handle(msg::Refresh&) { request_refresh(); }

  void defer(msg::BillRequest r) {
    if (pending_.size() >= limits().max_pending_events_per_bill) {
      return msg::fail(r, make_error(Errc::busy, "too many requests queued on this bill"));
    }
    pending_.push_back(std::move(r));
    if (!bill_ && !loading_) load();
  }

  // Replays queued requests while the actor is ready for them.
  void drain() {
    while (!pending_.empty() && bill_ && !loading_ && !in_flight_) {
      msg::BillRequest r = std::move(pending_.front());
      pending_.pop_front();
      std::visit([this](auto& cmd) { handle(cmd); }, r.command);
    }
  }

  // --- loading --------------------------------------------------------------------------

  void load() {
    loading_ = true;
    caf::actor self = this;
    ctx_->db->read(storage::select_bill(bill_id_), [self](Result<storage::Rows> rows) {
      if (!rows) return caf::anon_send(self, msg::Loaded{rows.error()});
      caf::anon_send(self, msg::Loaded{storage::parse_bill(*rows)});
    });
  }

  void request_refresh() {
    if (loading_) return;
    if (in_flight_) {
      refresh_after_commit_ = true;
      return;
    }
    load();
  }

  void on_loaded(Result<std::optional<Bill>> row) {
    loading_ = false;
    if (!row) {
      spdlog::warn("bill {}: load failed: {}", bill_id_, row.error().message);
      fail_pending(make_error(Errc::storage_read, "could not read the bill"));
      return;
    }
    if (!row->has_value()) {
      fail_pending(make_error(Errc::not_found, "no such bill"));
      if (!bill_) quit();  // nothing to own: free the slot
      return;
    }
    bill_ = std::move(**row);
    wake_waiters();
    drain();
  }

  void fail_pending(const Error& error) {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& r : pending) msg::fail(r, error);
  }

  // --- creation -------------------------------------------------------------------------

  void on_create(msg::Create c) {
    in_flight_ = InFlight{};
    in_flight_->is_create = true;
    in_flight_->next = c.bill;
    in_flight_->create_reply = std::move(c.reply);
    submit({storage::insert_bill(c.bill, c.idempotency)});
  }

  // --- transitions ----------------------------------------------------------------------

  void commit_transition(msg::Event ev, Decision decision) {
    storage::TransitionWrite write;
    write.next = apply_decision(*bill_, decision, ev.event, now_ms());
    write.expected_version = bill_->version;
    write.enqueue_delivery = decision.enqueue_delivery;
    write.lease_owner = ctx_->config.server.node_id;
    write.lease = ctx_->config.delivery.lease_ms;
    write.finish_delivery = decision.finish_delivery;
    if (ev.audit) {
      write.audit = ev.audit;
      write.audit->bill_id = bill_id_;
      write.audit->verdict = "accepted";
      write.audit->detail = decision.reason;
    }
    in_flight_ = InFlight{false, write.next, std::move(decision), std::move(ev), {}};
    submit({storage::transition_statement(write)});
  }

  void submit(std::vector<storage::Statement> statements) {
    caf::actor self = this;
    ctx_->db->write(std::move(statements), [self](Result<std::vector<storage::Rows>> rows) {
      if (!rows) return caf::anon_send(self, msg::Committed{rows.error()});
      bool applied = !rows->empty() && !(*rows)[0].empty() && (*rows)[0].text(0, 0) == "t";
      caf::anon_send(self, msg::Committed{applied});
    });
  }

  void on_committed(Result<bool> applied) {
    InFlight done = std::move(*in_flight_);
    in_flight_.reset();
    if (done.is_create) return on_create_committed(std::move(done), std::move(applied));
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
    if (done.decision.enqueue_delivery) caf::anon_send(ctx_->dispatcher, msg::DeliverNow{bill_id_});
    if (done.decision.late_payment) spdlog::warn("bill {}: late payment recorded", bill_id_);
    wake_waiters();
    after_commit();
  }

  void on_create_committed(InFlight done, Result<bool> applied) {
    if (!applied) {
      spdlog::error("bill {}: create failed: {}", bill_id_, applied.error().message);
      done.create_reply(make_error(Errc::storage_write, "the bill may not have been saved"));
      return quit();
    }
    if (!*applied) {  // the idempotency key existed: the handler replays the first answer
      done.create_reply(CreateResult{false, done.next});
      return quit();
    }
    bill_ = done.next;
    done.create_reply(CreateResult{true, *bill_});
    after_commit();
  }

  void after_commit() {
    if (refresh_after_commit_) {
      refresh_after_commit_ = false;
      return load();
    }
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
    delayed_send(this, std::min(limits().settled_actor_idle_ms, limits().actor_idle_ms), msg::IdleCheck{});
  }

  void on_idle_check() {
    bool busy = !waiters_.empty() || !pending_.empty() || in_flight_ || loading_;
    auto idle = std::chrono::steady_clock::now() - last_activity_;
    if (!busy && idle >= idle_limit()) return quit();
    schedule_idle_check();
  }

  std::shared_ptr<const ActorContext> ctx_;
  std::string bill_id_;
  std::optional<Bill> bill_;
  bool loading_ = false;
  bool refresh_after_commit_ = false;
  std::optional<InFlight> in_flight_;
  std::deque<msg::BillRequest> pending_;
  std::map<uint64_t, Waiter> waiters_;
  uint64_t next_waiter_id_ = 0;
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
};

}  // namespace

caf::actor spawn_bill_actor(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                            std::string bill_id) {
  return system.spawn<BillActor>(std::move(context), std::move(bill_id));
}

}  // namespace unipay
