#include "actors/job_dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <deque>
#include <functional>
#include <map>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "actors/actor_context.hpp"
#include "actors/delivery_admission.hpp"
#include "actors/delivery_messages.hpp"

namespace unipay {
namespace {

using namespace std::chrono_literals;

// A retry's wait ends at next_attempt_at, when its lease ends too; the claim that follows
// must see the lease as over (lease_until < now()), so it runs a little after.
constexpr auto kWakeSlack = 5ms;
// Wake-up times remembered for retries and breaker cool-downs; beyond this the periodic
// poll (JobKind::poll_interval_ms) finds the rest.
constexpr size_t kMaxWakeups = 4096;
// Most bills given back in one release write.
constexpr size_t kMaxReleaseBatch = 1000;
// Leased jobs waiting here for a slot (all apps). A job is leased for JobKind::lease_ms:
// one that waits half of that, or finds the queue full, is given back instead.
constexpr size_t kMaxWaiting = 10000;

// Runs one attempt actor per due job of its kind, within the caps of actors/delivery_admission
// (total, per app, per-app circuit breaker). Work comes from two places: DeliverNow right
// after a `paid` commit (a delivery job already leased to this node), and claims of due jobs
// (fair between apps, see storage::claim_due_jobs). Work it cannot start now is released at
// once, so the next claim here or on another node takes it. A retry waits in the database
// (next_attempt_at), not here: this actor only remembers when to claim next.
class JobDispatcher : public caf::event_based_actor {
 public:
  JobDispatcher(caf::actor_config& cfg, std::shared_ptr<const ActorContext> ctx, JobKind kind)
      : caf::event_based_actor(cfg), ctx_(std::move(ctx)), kind_(std::move(kind)), limits_(kind_.limits) {}

  caf::behavior make_behavior() override {
    set_down_handler([this](caf::down_msg& down) { ended(down.source, AttemptResult::no_attempt, {}); });
    send(this, msg::PollJobs{});
    return {
        [this](msg::DeliverNow& m) { offer(m.bill_id, m.app_id, std::move(m.job)); },
        [this](msg::PollJobs) { on_poll(); },
        [this](msg::ClaimWake m) { on_wake(m.at); },
        [this](msg::JobsClaimed& m) { on_claimed(std::move(m.jobs), m.limit); },
        [this](msg::AttemptEnded& m) {
          if (auto sender = current_sender()) ended(sender->address(), m.result, m.retry_in);
        },
        [this](msg::FlushReleases) { flush_releases(); },
        [this](msg::JobsMadeDue) { on_released(); },
    };
  }

 private:
  struct Running {
    std::string bill_id;
    std::string app_id;
    bool probe = false;
  };

  const JobKind& cfg() const { return kind_; }

  // A leased job waiting here for a slot.
  struct Waiting {
    std::string bill_id;
    std::optional<storage::Job> job;
    Millis since;
  };

  // Starts the job when its app may run one more attempt now. Otherwise it waits here for a
  // slot (bounded, and only while the slots are merely busy), or is given back.
  void offer(const std::string& bill_id, const std::string& app_id, std::optional<storage::Job> job) {
    if (running_bills_.contains(bill_id)) return;  // its attempt runs here already
    AppDeliveries& app = apps_[app_id];
    const Admission admission = admit(app, running_.size(), limits_, now_ms());
    if (admitted(admission)) return start(bill_id, app_id, std::move(job), admission);
    const bool busy = admission == Admission::refuse_full || admission == Admission::refuse_app_full;
    if (busy && waiting_count_ < kMaxWaiting) {
      waiting_[app_id].push_back(Waiting{bill_id, std::move(job), now_ms()});
      ++waiting_count_;
      return;
    }
    if (idle(app) && !waiting_.contains(app_id)) apps_.erase(app_id);
    release(bill_id);
  }

  void start(const std::string& bill_id, const std::string& app_id, std::optional<storage::Job> job,
             Admission admission) {
    on_started(apps_[app_id], admission);
    caf::actor actor = kind_.spawn_attempt(system(), ctx_, bill_id, std::move(job));
    monitor(actor);
    running_.emplace(actor.address(), Running{bill_id, app_id, admission == Admission::run_as_probe});
    running_bills_.emplace(bill_id);
  }

  // An attempt actor ended (reported, or went down without a word: no attempt to judge).
  void ended(const caf::actor_addr& actor, AttemptResult result,
             std::optional<std::chrono::milliseconds> retry_in) {
    auto it = running_.find(actor);
    if (it == running_.end()) return;  // already reported
    const Millis now = now_ms();
    AppDeliveries& app = apps_[it->second.app_id];
    const bool was_open = app.open_until.has_value();
    on_ended(app, result, it->second.probe, limits_, now);
    if (app.open_until && (!was_open || it->second.probe)) {
      spdlog::warn("app {}: {} jobs paused for {} ms after {} consecutive failures", it->second.app_id,
                   kind_.kind, limits_.breaker_cooldown_ms.count(), app.consecutive_failures);
      wake_at(*app.open_until);
      dead_letter_paused(it->second.app_id);
      release_waiting(it->second.app_id);
    } else if (was_open && !app.open_until) {
      spdlog::info("app {}: {} jobs resumed", it->second.app_id, kind_.kind);
      expedite(it->second.app_id);
    }
    if (idle(app)) apps_.erase(it->second.app_id);
    running_bills_.erase(it->second.bill_id);
    running_.erase(it);
    if (retry_in) wake_at(now + *retry_in);
    start_waiting();
    if (more_due_) claim();
  }

  // Fills free slots from the waiting jobs, one app after another (round-robin).
  void start_waiting() {
    const Millis now = now_ms();
    bool progress = true;
    while (progress && waiting_count_ > 0 && running_.size() < limits_.max_concurrent) {
      progress = false;
      for (auto it = waiting_.begin(); it != waiting_.end();) {
        const Admission admission = admit(apps_[it->first], running_.size(), limits_, now);
        if (admitted(admission)) {
          Waiting next = std::move(it->second.front());
          it->second.pop_front();
          --waiting_count_;
          start(next.bill_id, it->first, std::move(next.job), admission);
          progress = true;
        }
        it = it->second.empty() ? waiting_.erase(it) : std::next(it);
      }
    }
  }

  // A paused app's waiting jobs go back: the next claims skip them until it resumes.
  void release_waiting(const std::string& app_id) {
    auto it = waiting_.find(app_id);
    if (it == waiting_.end()) return;
    for (const Waiting& w : it->second) release(w.bill_id);
    waiting_count_ -= it->second.size();
    waiting_.erase(it);
  }

  // Jobs that waited half their lease go back, so their lease never runs out here.
  void release_stale_waiting() {
    const Millis oldest = now_ms() - cfg().lease_ms / 2;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      auto& queue = it->second;
      while (!queue.empty() && queue.front().since < oldest) {
        release(queue.front().bill_id);
        queue.pop_front();
        --waiting_count_;
      }
      it = queue.empty() ? waiting_.erase(it) : std::next(it);
    }
  }

  void on_poll() {
    delayed_send(this, cfg().poll_interval_ms, msg::PollJobs{});
    release_stale_waiting();
    more_due_ = true;
    claim();
  }

  void on_wake(Millis at) {
    if (scheduled_wake_ && *scheduled_wake_ == at) scheduled_wake_.reset();
    const Millis now = now_ms();
    while (!wakeups_.empty() && wakeups_.top() <= now) wakeups_.pop();
    more_due_ = true;
    claim();
    if (!wakeups_.empty()) schedule_wake(wakeups_.top());
  }

  // Claims due jobs when a slot is free and some may be due; one claim in flight at a time
  // (work arriving meanwhile is picked up by the next one, so claims batch under load).
  void claim() {
    if (claiming_ || !more_due_) return;
    const size_t free =
        running_.size() >= limits_.max_concurrent ? 0 : limits_.max_concurrent - running_.size();
    if (free == 0) return;  // the next attempt to end claims again
    claiming_ = true;
    more_due_ = false;
    const size_t limit = std::min(free, cfg().claim_batch);
    caf::actor self = this;
    ctx_->db->write(
        {storage::claim_due_jobs(kind_.kind, ctx_->lease_owner, cfg().lease_ms, int(limit), shares())},
        [self, limit](Result<std::vector<storage::Rows>> rows) {
          if (!rows) return caf::anon_send(self, msg::JobsClaimed{rows.error(), limit});
          caf::anon_send(self, msg::JobsClaimed{storage::parse_claimed_jobs(rows->front()), limit});
        });
  }

  // Apps that may not take all the free slots (busy without borrowing, paused, probing) get
  // their own quota.
  storage::ClaimShares shares() const {
    storage::ClaimShares shares;
    shares.per_app = limits_.max_concurrent;  // apps not in play may borrow (offer() re-checks)
    const Millis now = now_ms();
    for (const auto& [app_id, app] : apps_) {
      const size_t quota = claim_quota(app, running_.size(), limits_, now);
      if (quota < limits_.max_concurrent) shares.quotas.emplace_back(app_id, quota);
    }
    return shares;
  }

  void on_claimed(Result<std::vector<storage::Job>> jobs, size_t limit) {
    claiming_ = false;
    if (!jobs) {
      spdlog::warn("claiming {} jobs failed: {}", kind_.kind, jobs.error().message);
      return;
    }
    if (jobs->size() >= limit) more_due_ = true;  // a full batch: more may be waiting
    for (auto& job : *jobs) {
      std::string bill_id = job.bill_id;
      std::string app_id = job.app_id;
      offer(bill_id, app_id, std::move(job));
    }
    claim();
  }

  // Given back in one write per mailbox turn; each is due again at once.
  void release(const std::string& bill_id) {
    if (releasing_.empty()) send(this, msg::FlushReleases{});
    releasing_.push_back(bill_id);
  }

  void flush_releases() {
    if (releasing_.empty()) return;
    std::vector<std::string> batch;
    if (releasing_.size() <= kMaxReleaseBatch) {
      batch.swap(releasing_);
    } else {
      batch.assign(releasing_.begin(), releasing_.begin() + kMaxReleaseBatch);
      releasing_.erase(releasing_.begin(), releasing_.begin() + kMaxReleaseBatch);
      send(this, msg::FlushReleases{});
    }
    caf::actor self = this;
    ctx_->db->write({storage::release_jobs(kind_.kind, ctx_->lease_owner, batch)},
                    [self, n = batch.size(), kind = kind_.kind](Result<std::vector<storage::Rows>> rows) {
                      // Not released: the lease runs out and a later claim takes them anyway.
                      if (!rows)
                        spdlog::warn("releasing {} {} jobs failed: {}", n, kind, rows.error().message);
                      caf::anon_send(self, msg::JobsMadeDue{});
                    });
  }

  void on_released() {
    more_due_ = true;
    claim();
  }

  // The app's game server answers again: its jobs waiting out a backoff are due now, and
  // claimed as soon as that is stored.
  void expedite(const std::string& app_id) {
    caf::actor self = this;
    ctx_->db->write({storage::expedite_app_jobs(kind_.kind, app_id)},
                    [self, app_id, kind = kind_.kind](Result<std::vector<storage::Rows>> rows) {
                      // Not stored: the jobs come due on their own backoff.
                      if (!rows)
                        spdlog::warn("app {}: expediting its {} jobs failed: {}", app_id, kind,
                                     rows.error().message);
                      caf::anon_send(self, msg::JobsMadeDue{});
                    });
  }

  // A paused app's jobs get no attempts: those past the give-up time are dead-lettered
  // here, as their next attempt would have done.
  void dead_letter_paused(const std::string& app_id) {
    ctx_->db->write({storage::dead_letter_paused_app_jobs(kind_.kind, app_id, cfg().give_up_after_s)},
                    [app_id, kind = kind_.kind](Result<std::vector<storage::Rows>> rows) {
                      if (!rows) {
                        spdlog::warn("app {}: dead-lettering its paused jobs failed: {}", app_id,
                                     rows.error().message);
                      } else if (!rows->empty() && !rows->front().empty()) {
                        spdlog::error("app {}: {} {} jobs dead-lettered while paused", app_id,
                                      rows->front().size(), kind);
                      }
                    });
  }

  // Remembers to claim at `at` (bounded; the periodic poll covers what does not fit).
  void wake_at(Millis at) {
    at += kWakeSlack;
    if (wakeups_.size() < kMaxWakeups) wakeups_.push(at);
    schedule_wake(wakeups_.empty() ? at : std::min(at, wakeups_.top()));
  }

  void schedule_wake(Millis at) {
    if (scheduled_wake_ && *scheduled_wake_ <= at) return;
    scheduled_wake_ = at;
    auto delay = std::max(std::chrono::milliseconds{0}, at - now_ms());
    delayed_send(this, delay, msg::ClaimWake{at});
  }

  std::shared_ptr<const ActorContext> ctx_;
  const JobKind kind_;
  const DeliveryLimits limits_;
  std::unordered_map<caf::actor_addr, Running> running_;  // attempt actors alive
  std::unordered_set<std::string> running_bills_;         // their bills
  std::unordered_map<std::string, AppDeliveries> apps_;   // apps in play (see idle())
  std::vector<std::string> releasing_;                    // bills to give back
  std::map<std::string, std::deque<Waiting>> waiting_;    // by app, oldest first
  size_t waiting_count_ = 0;
  std::priority_queue<Millis, std::vector<Millis>, std::greater<>> wakeups_;
  std::optional<Millis> scheduled_wake_;  // the ClaimWake on its way
  bool claiming_ = false;
  bool more_due_ = true;  // due jobs may be waiting for a claim
};

}  // namespace

caf::actor spawn_job_dispatcher(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                                JobKind kind) {
  return system.spawn<JobDispatcher>(std::move(context), std::move(kind));
}

}  // namespace unipay
