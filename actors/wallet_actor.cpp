#include "actors/wallet_actor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <caf/all.hpp>
#include <deque>
#include <map>
#include <set>
#include <utility>

#include "actors/actor_context.hpp"
#include "actors/keyed_actors.hpp"
#include "actors/wallet_messages.hpp"

namespace unipay {
namespace {

using namespace std::chrono_literals;

// A compare-and-set lost this many times in a row (another node keeps changing the account)
// answers the operation busy rather than loop.
constexpr int kMaxCasLosses = 8;
// A timer fires a little after expires_at, so the hold is due when it is decided.
constexpr auto kTimerSlack = 2ms;

enum class Phase {
  unloaded,  // nothing held and nothing running (just spawned, or a read failed)
  loading,   // the account is being read
  ready,     // the account is held (or known missing) and nothing is running
  working,   // a batch is being looked up or committed, or the account inserted
};

// The batch being decided and committed.
struct Batch {
  std::vector<wmsg::Operate> ops;
  std::vector<LedgerDecision> decisions;
  AccountState after;  // the state once every applied decision commits
  // The op that each commit came from, in order.
  std::vector<size_t> commit_ops;
};

bool names_hold(LedgerOpKind kind) {
  return kind == LedgerOpKind::capture || kind == LedgerOpKind::void_hold ||
         kind == LedgerOpKind::expire_hold;
}

class WalletActor : public caf::event_based_actor {
 public:
  WalletActor(caf::actor_config& cfg, std::shared_ptr<const ActorContext> ctx, std::string app_id,
              std::string account_id)
      : caf::event_based_actor(cfg),
        ctx_(std::move(ctx)),
        app_id_(std::move(app_id)),
        account_id_(std::move(account_id)) {}

  caf::behavior make_behavior() override {
    delayed_send(this, limits().actor_idle_ms, wmsg::IdleCheck{});
    return {
        [this](wmsg::WalletRequest& r) {
          idle_.touch();
          on_request(std::move(r));
        },
        [this](wmsg::Loaded& m) { on_loaded(std::move(m.account)); },
        [this](wmsg::LookedUp& m) { on_looked_up(std::move(m.found)); },
        [this](wmsg::Inserted& m) { on_inserted(std::move(m.outcome)); },
        [this](wmsg::Committed& m) { on_committed(std::move(m.outcomes)); },
        [this](wmsg::ExpiryTimer) { on_timer(); },
        [this](wmsg::IdleCheck) { on_idle_check(); },
    };
  }

 private:
  const config::WalletsConfig& limits() const { return ctx_->config.wallets; }
  WalletStorage& storage() const { return *ctx_->wallet_storage; }
  caf::actor self() { return this; }

  // --- requests -------------------------------------------------------------------------

  void on_request(wmsg::WalletRequest r) {
    if (auto* read = std::get_if<wmsg::Read>(&r.command); read && state_) return read->reply(state_->account);
    if (std::holds_alternative<wmsg::Wake>(r.command)) {
      if (state_) return enqueue_due();
      if (phase_ == Phase::unloaded) load();  // the load arms the timer, which expires due holds
      return;
    }
    defer(std::move(r));
    pump();
  }

  bool defer(wmsg::WalletRequest r) {
    if (pending_.size() >= limits().max_pending_ops_per_account) {
      wmsg::fail(r, make_error(Errc::busy, "too many operations queued on this account; retry later"));
      return false;
    }
    pending_.push_back(std::move(r));
    return true;
  }

  // Serves what waits, as far as the phase allows.
  void pump() {
    if (phase_ == Phase::unloaded && !pending_.empty()) return load();
    if (phase_ != Phase::ready) return;
    if (!state_) return serve_missing();
    Batch batch;
    while (!pending_.empty() && batch.ops.size() < batch_limit()) {
      wmsg::WalletRequest r = std::move(pending_.front());
      pending_.pop_front();
      if (auto* read = std::get_if<wmsg::Read>(&r.command)) {
        read->reply(state_->account);
      } else if (auto* open = std::get_if<wmsg::Open>(&r.command)) {
        answer_open(*open);
      } else if (auto* op = std::get_if<wmsg::Operate>(&r.command)) {
        if (wrong_unit(*op)) continue;
        batch.ops.push_back(std::move(*op));
      }
    }
    if (!batch.ops.empty()) start_batch(std::move(batch));
  }

  // After a write was refused as a whole, operations go one per write until the refused
  // one has its own answer (so one bad operation never fails the others).
  size_t batch_limit() const { return solo_ > 0 ? 1 : limits().max_batch_ops; }

  void answer_open(wmsg::Open& open) {
    Account wanted = new_account(open.unit);
    LedgerDecision d = decide_create(state_->account, wanted);
    if (d.verdict == LedgerVerdict::refuse) return open.reply(Error{*d.result.error, d.result.error_message});
    open.reply(OpenResult{false, state_->account});
  }

  // A recharge names the unit it credits: an account in another unit refuses it.
  bool wrong_unit(wmsg::Operate& op) {
    if (op.create_unit.empty() || op.create_unit == state_->account.unit) return false;
    OpResult refused;
    refused.error = Errc::conflict;
    refused.error_message = "the account exists with unit " + state_->account.unit;
    refused.account = state_->account;
    op.reply(std::move(refused));
    return true;
  }

  Account new_account(const std::string& unit) const {
    Account a;
    a.app_id = app_id_;
    a.account_id = account_id_;
    a.unit = unit;
    a.created_at = now_ms();
    a.updated_at = a.created_at;
    return a;
  }

  // The account does not exist: the first creating request inserts it, the others are not_found.
  void serve_missing() {
    while (!pending_.empty()) {
      wmsg::WalletRequest& r = pending_.front();
      std::string unit;
      if (auto* open = std::get_if<wmsg::Open>(&r.command)) unit = open->unit;
      if (auto* op = std::get_if<wmsg::Operate>(&r.command)) unit = op->create_unit;
      if (!unit.empty()) return insert(unit);
      wmsg::fail(r, make_error(Errc::not_found, "no such account"));
      pending_.pop_front();
    }
    quit();  // nothing to own: free the slot
  }

  void insert(const std::string& unit) {
    Account wanted = new_account(unit);
    LedgerDecision d = decide_create(std::nullopt, wanted);
    if (d.verdict == LedgerVerdict::refuse) {
      wmsg::fail(pending_.front(), Error{*d.result.error, d.result.error_message});
      pending_.pop_front();
      return pump();
    }
    phase_ = Phase::working;
    storage().insert(wanted, [self = self()](Result<InsertOutcome> outcome) {
      caf::anon_send(self, wmsg::Inserted{std::move(outcome)});
    });
  }

  void on_inserted(Result<InsertOutcome> outcome) {
    phase_ = Phase::ready;
    if (!outcome || !outcome->account) {
      // Unknown (storage_write) or inserted elsewhere at the same instant: read it again.
      if (!outcome) {
        wmsg::fail(pending_.front(), outcome.error());
        pending_.pop_front();
      }
      return load();
    }
    state_ = AccountState{*outcome->account, {}};
    if (outcome->inserted) {
      if (auto* open = std::get_if<wmsg::Open>(&pending_.front().command)) {
        open->reply(OpenResult{true, state_->account});
        pending_.pop_front();
      }
    }
    pump();
  }

  // --- loading --------------------------------------------------------------------------

  void load() {
    phase_ = Phase::loading;
    storage().load(app_id_, account_id_,
                   [self = self()](Result<std::optional<storage::AccountWithHolds>> row) {
                     caf::anon_send(self, wmsg::Loaded{std::move(row)});
                   });
  }

  void on_loaded(Result<std::optional<storage::AccountWithHolds>> row) {
    phase_ = Phase::unloaded;
    if (!row) {
      spdlog::warn("account {}/{}: load failed: {}", app_id_, account_id_, row.error().message);
      fail_pending(make_error(Errc::storage_read, "could not read the account"));
      return;
    }
    phase_ = Phase::ready;
    state_.reset();
    if (row->has_value()) {
      AccountState state{(*row)->account, {}};
      for (auto& hold : (*row)->active_holds) state.holds.emplace(hold.hold_id, std::move(hold));
      state_ = std::move(state);
      check_invariants(*state_);
      enqueue_due();
      arm_timer();
    }
    pump();
  }

  void fail_pending(const Error& error) {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& r : pending) wmsg::fail(r, error);
  }

  // --- batches --------------------------------------------------------------------------

  void start_batch(Batch batch) {
    phase_ = Phase::working;
    std::vector<std::string> op_ids, hold_ids;
    for (const auto& o : batch.ops) {
      if (records_op_id(o.op.kind) && valid_op_id(o.op.op_id)) op_ids.push_back(o.op.op_id);
      if (names_hold(o.op.kind) && !state_->holds.count(o.op.hold_id)) hold_ids.push_back(o.op.hold_id);
    }
    batch_ = std::move(batch);
    if (op_ids.empty() && hold_ids.empty()) return on_looked_up(WalletLookups{});
    storage().lookup(
        app_id_, std::move(op_ids), std::move(hold_ids),
        [self = self()](Result<WalletLookups> f) { caf::anon_send(self, wmsg::LookedUp{std::move(f)}); });
  }

  void on_looked_up(Result<WalletLookups> found) {
    if (!found) return end_batch_with(make_error(Errc::storage_read, "could not read earlier operations"));
    Batch& b = *batch_;
    b.after = *state_;
    for (auto& hold : found->holds) {
      // Terminal holds only: an active one this actor does not hold would mean its state is
      // stale; the capture then finds no hold, and the lost compare-and-set of a later
      // commit re-reads the account.
      if (hold.account_id == account_id_ && hold.state != HoldState::active)
        b.after.holds.emplace(hold.hold_id, std::move(hold));
    }
    std::map<std::string, OpRecord> records;
    for (auto& r : found->records) records.emplace(r.op_id, std::move(r));
    std::vector<BatchItem> items;
    for (const auto& o : b.ops) {
      BatchItem item{o.op, std::nullopt};
      if (auto it = records.find(o.op.op_id); it != records.end()) item.stored = it->second;
      items.push_back(std::move(item));
    }
    LedgerLimits rules{limits().max_active_holds};
    b.decisions = decide_batch(b.after, items, now_ms(), rules);
    commit_batch();
  }

  void commit_batch() {
    Batch& b = *batch_;
    WalletWrite write;
    for (size_t i = 0; i < b.decisions.size(); ++i) {
      const LedgerDecision& d = b.decisions[i];
      if (d.verdict != LedgerVerdict::apply) continue;
      write.commits.push_back(storage::LedgerCommit{d.expected_version, d.result, d.hold_created, d.record});
      // Copied: a lost compare-and-set decides the operation again, with its statements.
      for (const auto& s : b.ops[i].also) write.also.push_back(s);
      b.commit_ops.push_back(i);
    }
    if (write.commits.empty()) return on_committed(std::vector<storage::CommitOutcome>{});
    storage().commit(std::move(write), [self = self()](Result<std::vector<storage::CommitOutcome>> outcomes) {
      caf::anon_send(self, wmsg::Committed{std::move(outcomes)});
    });
  }

  void on_committed(Result<std::vector<storage::CommitOutcome>> outcomes) {
    if (!outcomes) return on_write_failed(outcomes.error());
    Batch b = std::move(*batch_);
    batch_.reset();
    phase_ = Phase::ready;
    if (solo_ > 0) --solo_;
    // The first commit that did not apply ends what may be answered: the operations from
    // its own on were decided against a state that is not the stored one.
    size_t answered = b.ops.size();
    for (size_t k = 0; k < b.commit_ops.size(); ++k) {
      if (k >= outcomes->size() || !(*outcomes)[k].applied) {
        answered = b.commit_ops[k];
        break;
      }
      set_entry_id(b.decisions[b.commit_ops[k]], (*outcomes)[k].entry_id);
    }
    fill_replayed_entry_ids(b, answered);
    for (size_t i = 0; i < answered; ++i) answer(b.ops[i], b.decisions[i]);
    if (answered == b.ops.size()) {
      cas_losses_ = 0;
      adopt(std::move(b.after));
      return pump();
    }
    requeue(b, answered);
  }

  // Re-reads the account, then decides the operations from `from` on again.
  void requeue(Batch& b, size_t from) {
    if (++cas_losses_ > kMaxCasLosses) {
      spdlog::error("account {}/{}: compare-and-set lost {} times in a row", app_id_, account_id_,
                    cas_losses_);
      cas_losses_ = 0;
      for (size_t i = from; i < b.ops.size(); ++i) {
        forget_expiry(b.ops[i]);
        b.ops[i].reply(make_error(Errc::busy, "the account keeps changing; retry"));
      }
      from = b.ops.size();
    }
    for (size_t i = b.ops.size(); i > from; --i) {
      forget_expiry(b.ops[i - 1]);
      pending_.push_front(wmsg::WalletRequest{app_id_, account_id_, std::move(b.ops[i - 1])});
    }
    load();
  }

  // The write failed as a whole: nothing applied (a refusal) or perhaps everything
  // (storage_write: the outcome is unknown, so the account is read again).
  void on_write_failed(const Error& error) {
    Batch b = std::move(*batch_);
    batch_.reset();
    phase_ = Phase::ready;
    const bool unknown = error.code == Errc::storage_write;
    if (!unknown && b.ops.size() > 1) {
      solo_ = b.ops.size();  // decide them one by one: only the refused one answers the refusal
      for (size_t i = b.ops.size(); i > 0; --i)
        pending_.push_front(wmsg::WalletRequest{app_id_, account_id_, std::move(b.ops[i - 1])});
      return pump();
    }
    Error answer = unknown ? make_error(Errc::storage_write, "the operation may not have been saved") : error;
    for (auto& op : b.ops) {
      forget_expiry(op);
      op.reply(answer);
    }
    if (unknown) return load();
    pump();
  }

  // A lookup failed: nothing was decided.
  void end_batch_with(const Error& error) {
    Batch b = std::move(*batch_);
    batch_.reset();
    phase_ = Phase::ready;
    for (auto& op : b.ops) {
      forget_expiry(op);
      op.reply(error);
    }
    pump();
  }

  static void set_entry_id(LedgerDecision& d, int64_t entry_id) {
    if (d.result.entry) d.result.entry->entry_id = entry_id;
  }

  // A replay of an op_id applied earlier in the same batch carries that entry's new id.
  static void fill_replayed_entry_ids(Batch& b, size_t answered) {
    std::map<std::string, int64_t> ids;
    for (size_t i = 0; i < answered; ++i) {
      const LedgerDecision& d = b.decisions[i];
      if (d.verdict == LedgerVerdict::apply && d.result.entry)
        ids[b.ops[i].op.op_id] = d.result.entry->entry_id;
      if (d.verdict == LedgerVerdict::replay && d.result.entry && d.result.entry->entry_id == 0) {
        if (auto it = ids.find(b.ops[i].op.op_id); it != ids.end())
          b.decisions[i].result.entry->entry_id = it->second;
      }
    }
  }

  void answer(wmsg::Operate& op, const LedgerDecision& d) {
    forget_expiry(op);
    if (d.verdict == LedgerVerdict::apply && d.result.hold && d.result.hold->state == HoldState::expired)
      spdlog::info("account {}/{}: hold {} expired", app_id_, account_id_, d.result.hold->hold_id);
    op.reply(d.result);
  }

  // The committed state: only active holds are kept (terminal ones were loaded for one batch).
  void adopt(AccountState after) {
    for (auto it = after.holds.begin(); it != after.holds.end();) {
      it = it->second.state == HoldState::active ? std::next(it) : after.holds.erase(it);
    }
    state_ = std::move(after);
    arm_timer();
  }

  // --- hold expiry ----------------------------------------------------------------------

  void arm_timer() {
    auto next = next_expiry(*state_);
    if (!next || (timer_at_ && *timer_at_ <= *next)) return;
    timer_at_ = next;
    auto wait = std::max<std::chrono::milliseconds>(0ms, *next - now_ms()) + kTimerSlack;
    delayed_send(this, wait, wmsg::ExpiryTimer{});
  }

  void on_timer() {
    timer_at_.reset();
    if (!state_) return;
    enqueue_due();
    arm_timer();
  }

  // Queues an expiry for every due hold not queued yet.
  void enqueue_due() {
    for (const std::string& hold_id : due_holds(*state_, now_ms())) {
      if (expiring_.count(hold_id)) continue;
      LedgerOp op;
      op.kind = LedgerOpKind::expire_hold;
      op.hold_id = hold_id;
      if (!defer(wmsg::WalletRequest{app_id_, account_id_, wmsg::Operate{op, "", {}, {}}})) break;
      expiring_.insert(hold_id);
    }
    pump();
  }

  void forget_expiry(const wmsg::Operate& op) {
    if (op.op.kind == LedgerOpKind::expire_hold) expiring_.erase(op.op.hold_id);
  }

  // --- lifetime -------------------------------------------------------------------------

  void on_idle_check() {
    bool busy = !pending_.empty() || phase_ == Phase::loading || phase_ == Phase::working;
    if (!busy && idle_.idle_for(limits().actor_idle_ms)) return quit();
    delayed_send(this, limits().actor_idle_ms, wmsg::IdleCheck{});
  }

  std::shared_ptr<const ActorContext> ctx_;
  std::string app_id_;
  std::string account_id_;
  Phase phase_ = Phase::unloaded;
  std::optional<AccountState> state_;  // none: not loaded, or no such account
  std::deque<wmsg::WalletRequest> pending_;
  std::optional<Batch> batch_;      // exactly while a batch is looked up or committed
  std::set<std::string> expiring_;  // holds with an expiry queued or in a batch
  std::optional<Millis> timer_at_;  // the expiry the armed timer is for
  size_t solo_ = 0;
  int cas_losses_ = 0;
  IdleClock idle_;
};

}  // namespace

caf::actor spawn_wallet_actor(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                              std::string app_id, std::string account_id) {
  return system.spawn<WalletActor>(std::move(context), std::move(app_id), std::move(account_id));
}

}  // namespace unipay
