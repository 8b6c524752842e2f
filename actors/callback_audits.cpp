#include "actors/callback_audits.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <caf/all.hpp>
#include <cassert>
#include <vector>

#include "actors/token_buckets.hpp"

namespace unipay::amsg {
struct AuditOffer {
  storage::CallbackAudit audit;
};
struct AuditFlush {};
}  // namespace unipay::amsg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::amsg::AuditOffer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::amsg::AuditFlush)

namespace unipay {
namespace {

// Counters shared by the offering threads, the actor and the writer's completion.
struct AuditCounters {
  std::atomic<size_t> queued{0};  // offered, not yet written or dropped: bounded by queue_limit
  std::array<std::atomic<uint64_t>, kAuditDropReasons> drops{};
  std::atomic<uint64_t> written{0};

  void drop(AuditDrop reason, uint64_t n) {
    drops[static_cast<size_t>(reason)].fetch_add(n, std::memory_order_relaxed);
  }
  void settle(size_t n) { queued.fetch_sub(n, std::memory_order_relaxed); }
};

// Owns the batch; only this actor touches it.
class AuditBatcher : public caf::event_based_actor {
 public:
  AuditBatcher(caf::actor_config& cfg, std::shared_ptr<AuditCounters> counters, storage::Database* db,
               RefusedAuditLimits limits)
      : caf::event_based_actor(cfg), counters_(std::move(counters)), db_(db), limits_(limits) {}

  caf::behavior make_behavior() override {
    delayed_send(this, limits_.flush_ms, amsg::AuditFlush{});
    return {
        [this](amsg::AuditOffer& m) { batch_.push_back(std::move(m.audit)); },
        [this](amsg::AuditFlush) {
          flush();
          delayed_send(this, limits_.flush_ms, amsg::AuditFlush{});
        },
    };
  }

 private:
  void flush() {
    if (batch_.empty()) return;
    std::vector<storage::CallbackAudit> rows;
    rows.swap(batch_);
    const size_t n = rows.size();
    // Runs on a storage thread: counters only.
    db_->write({storage::insert_callback_audits(rows)}, [counters = counters_, n](auto written) {
      if (written) {
        counters->written.fetch_add(n, std::memory_order_relaxed);
      } else {
        counters->drop(AuditDrop::write_failed, n);
        spdlog::warn("{} refused-callback audit rows not written: {}", n, written.error().message);
      }
      counters->settle(n);
    });
  }

  std::shared_ptr<AuditCounters> counters_;
  storage::Database* db_;
  RefusedAuditLimits limits_;
  std::vector<storage::CallbackAudit> batch_;  // at most queue_limit (counted in `queued`)
};

class ActorAuditSink : public RefusedAuditSink {
 public:
  ActorAuditSink(caf::actor_system& system, storage::Database& db, RefusedAuditLimits limits)
      : limits_(limits), counters_(std::make_shared<AuditCounters>()) {
    actor_ = system.spawn<AuditBatcher>(counters_, &db, limits);
  }
  ~ActorAuditSink() override { stop(); }

  // The limiters run here, on the caller's (io) thread, so a refused row costs no message:
  // a flood of forged callbacks never reaches the actor or wakes a scheduler thread.
  void record(storage::CallbackAudit audit, std::string source) override {
    Limiters& limit = limiters();
    const auto now = TokenBuckets::Clock::now();
    // The source first: a source over its limit spends none of the app's allowance.
    if (!limit.sources.take(source, now)) return count_dropped(AuditDrop::source_limit);
    if (!limit.apps.take(audit.app_id, now)) return count_dropped(AuditDrop::app_limit);
    if (counters_->queued.fetch_add(1, std::memory_order_relaxed) >= limits_.queue_limit) {
      counters_->settle(1);
      return count_dropped(AuditDrop::queue_full);
    }
    caf::anon_send(actor_, amsg::AuditOffer{std::move(audit)});
  }

  void count_dropped(AuditDrop reason) override { counters_->drop(reason, 1); }

  uint64_t dropped(AuditDrop reason) const override {
    return counters_->drops[static_cast<size_t>(reason)].load(std::memory_order_relaxed);
  }
  uint64_t written() const override { return counters_->written.load(std::memory_order_relaxed); }

  // Per calling thread, like the app cache: no lock, and the limits hold per io thread.
  struct Limiters {
    TokenBuckets sources;
    TokenBuckets apps;
  };
  Limiters& limiters() const {
    thread_local Limiters per_thread{
        TokenBuckets({limits_.per_source_per_s, limits_.burst, limits_.max_tracked}),
        TokenBuckets({limits_.per_app_per_s, limits_.burst, limits_.max_tracked})};
    return per_thread;
  }

  void stop() override {
    if (actor_) caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
    actor_ = nullptr;
  }

 private:
  RefusedAuditLimits limits_;
  std::shared_ptr<AuditCounters> counters_;
  caf::actor actor_;
};

}  // namespace

std::string_view audit_drop_name(AuditDrop reason) {
  switch (reason) {
    case AuditDrop::malformed_app_id:
      return "malformed_app_id";
    case AuditDrop::source_limit:
      return "source_limit";
    case AuditDrop::app_limit:
      return "app_limit";
    case AuditDrop::queue_full:
      return "queue_full";
    case AuditDrop::write_failed:
      return "write_failed";
    case AuditDrop::count_:
      break;
  }
  assert(false && "no such audit drop reason");
  return "unknown";
}

std::unique_ptr<RefusedAuditSink> RefusedAuditSink::start(caf::actor_system& system, storage::Database& db,
                                                          RefusedAuditLimits limits) {
  assert(limits.queue_limit >= 1 && limits.queue_limit <= storage::kMaxAuditsPerStatement);
  return std::make_unique<ActorAuditSink>(system, db, limits);
}

}  // namespace unipay
