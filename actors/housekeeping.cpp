#include "actors/housekeeping.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <caf/all.hpp>
#include <chrono>

#include "actors/actor_context.hpp"
#include "actors/bill_service.hpp"
#include "actors/housekeeping_rules.hpp"
#include "storage/bill_store.hpp"
#include "storage/housekeeping_store.hpp"

namespace unipay::hmsg {
enum class Run { expiry, purge };
struct Tick {
  Run run;
};
struct Locked {
  Run run;
  Result<storage::Rows> rows;
};
struct Claimed {
  Result<storage::Rows> rows;
};
struct ExpiryAnswered {
  bool closed = false;  // the bill actor committed the expiry
};
struct PurgeChunk {};  // the pause after a chunk is over: delete the next one
struct Purged {
  Result<storage::Rows> rows;
};
}  // namespace unipay::hmsg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::hmsg::Tick)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::hmsg::Locked)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::hmsg::Claimed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::hmsg::ExpiryAnswered)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::hmsg::PurgeChunk)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::hmsg::Purged)

namespace unipay {
namespace {

using hmsg::Run;
using Clock = std::chrono::steady_clock;

// The tables a purge run empties of old rows, in order.
enum class PurgeTable : size_t { nonces, idempotency_keys, count };

struct ExpiryRun {
  bool running = false;
  storage::ExpiryCursor cursor;
  size_t claimed_last = 0;  // rows of the batch being expired
  size_t outstanding = 0;   // its events not answered yet
  size_t claimed = 0;
  size_t closed = 0;
  Clock::time_point started;
};

struct PurgeRun {
  bool running = false;
  size_t table = 0;   // a PurgeTable
  size_t chunks = 0;  // of this table, this run
  std::array<int64_t, static_cast<size_t>(PurgeTable::count)> deleted{};
  Clock::time_point started;
};

class Housekeeping : public caf::event_based_actor {
 public:
  Housekeeping(caf::actor_config& cfg, std::shared_ptr<const ActorContext> ctx)
      : caf::event_based_actor(cfg), ctx_(std::move(ctx)) {}

  caf::behavior make_behavior() override {
    send(this, hmsg::Tick{Run::expiry});
    send(this, hmsg::Tick{Run::purge});
    return {
        [this](hmsg::Tick t) { on_tick(t.run); },
        [this](hmsg::Locked& m) { on_locked(m.run, std::move(m.rows)); },
        [this](hmsg::Claimed& m) { on_claimed(std::move(m.rows)); },
        [this](hmsg::ExpiryAnswered m) { on_expiry_answered(m.closed); },
        [this](hmsg::PurgeChunk) { purge_chunk(); },
        [this](hmsg::Purged& m) { on_purged(std::move(m.rows)); },
    };
  }

 private:
  const config::BillsConfig& limits() const { return ctx_->config.bills; }
  static int64_t lock_key(Run run) {
    return run == Run::expiry ? storage::kExpiryLockKey : storage::kPurgeLockKey;
  }

  // Hands the statement to the housekeeping connection; its answer comes back as a message.
  template <class Message, class... Prefix>
  void maintain(storage::Statement statement, Prefix... prefix) {
    caf::actor self = this;
    ctx_->db->maintain(std::move(statement), [self, prefix...](Result<storage::Rows> rows) {
      caf::anon_send(self, Message{prefix..., std::move(rows)});
    });
  }

  // --- runs and the advisory lock -------------------------------------------------------

  void on_tick(Run run) {
    delayed_send(this, run == Run::expiry ? limits().expiry_sweep_interval_ms : limits().purge_interval_ms,
                 hmsg::Tick{run});
    bool& running = run == Run::expiry ? expiry_.running : purge_.running;
    if (running) return;  // the last run is still going: it goes on, no second one
    running = true;
    maintain<hmsg::Locked>(storage::try_advisory_lock(lock_key(run)), run);
  }

  void on_locked(Run run, Result<storage::Rows> rows) {
    if (!rows || rows->empty() || rows->text(0, 0) != "t") {
      if (!rows) spdlog::warn("housekeeping: cannot take its lock: {}", rows.error().message);
      (run == Run::expiry ? expiry_.running : purge_.running) = false;  // another node runs it
      return;
    }
    if (run == Run::expiry) {
      expiry_ = ExpiryRun{true, {}, 0, 0, 0, 0, Clock::now()};
      return claim();
    }
    purge_ = PurgeRun{true, 0, 0, {}, Clock::now()};
    purge_chunk();
  }

  // Releasing goes through the same connection, so it is ordered before the next try.
  void finish(Run run) {
    (run == Run::expiry ? expiry_.running : purge_.running) = false;
    ctx_->db->maintain(storage::advisory_unlock(lock_key(run)), [](Result<storage::Rows>) {});
  }

  static long long elapsed_ms(Clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
  }

  // --- expiry ---------------------------------------------------------------------------

  void claim() {
    maintain<hmsg::Claimed>(
        storage::claim_expired_bills(expiry_.cursor, static_cast<int>(limits().expiry_batch)));
  }

  void on_claimed(Result<storage::Rows> rows) {
    if (!rows) {
      spdlog::warn("expiry sweep failed: {}", rows.error().message);
      return end_expiry();
    }
    expiry_.cursor = storage::next_expiry_cursor(*rows, expiry_.cursor);
    expiry_.claimed_last = rows->size();
    expiry_.outstanding = rows->size();
    expiry_.claimed += rows->size();
    if (rows->empty()) return end_expiry();
    caf::actor self = this;
    for (size_t i = 0; i < rows->size(); ++i) {
      BillEvent event;
      event.kind = BillEventKind::expire;
      ctx_->bills->apply(rows->text(i, 0), event, std::nullopt, [self](Result<EventResult> r) {
        caf::anon_send(self, hmsg::ExpiryAnswered{r.ok() && r->verdict == Verdict::apply});
      });
    }
  }

  // A batch is claimed again only once every event of the last one is answered: the bill
  // actors (and the writer behind them) set the pace, never a queue of events.
  void on_expiry_answered(bool closed) {
    if (expiry_.outstanding == 0) return;  // assert-worthy, but a stray message must not underflow
    --expiry_.outstanding;
    if (closed) ++expiry_.closed;
    if (expiry_.outstanding > 0) return;
    if (expiry_continues(expiry_.claimed_last, limits().expiry_batch, expiry_.closed,
                         limits().max_expiries_per_sweep)) {
      return claim();
    }
    end_expiry();
  }

  void end_expiry() {
    if (expiry_.claimed > 0) {
      spdlog::info("expiry sweep: closed {} of {} expired bills claimed in {} ms", expiry_.closed,
                   expiry_.claimed, elapsed_ms(expiry_.started));
    }
    finish(Run::expiry);
  }

  // --- purge ----------------------------------------------------------------------------

  void purge_chunk() {
    const auto& b = limits();
    const int chunk = static_cast<int>(b.purge_chunk_rows);
    // The windows: nonces are kept bills.nonce_window_s, idempotency keys idempotency_keep_s.
    if (purge_.table == static_cast<size_t>(PurgeTable::nonces)) {
      maintain<hmsg::Purged>(storage::purge_nonces_chunk(static_cast<int>(b.nonce_window_s.count()), chunk));
    } else {
      maintain<hmsg::Purged>(
          storage::purge_idempotency_chunk(static_cast<int>(b.idempotency_keep_s.count()), chunk));
    }
  }

  void on_purged(Result<storage::Rows> rows) {
    if (!rows) {
      spdlog::warn("purge of nonces/idempotency keys failed: {}", rows.error().message);
      return end_purge();
    }
    ++purge_.chunks;
    purge_.deleted[purge_.table] += rows->affected;
    if (!purge_continues(rows->affected, limits().purge_chunk_rows, purge_.chunks,
                         limits().max_purge_chunks)) {
      ++purge_.table;
      purge_.chunks = 0;
      if (purge_.table == static_cast<size_t>(PurgeTable::count)) return end_purge();
    }
    delayed_send(this, limits().purge_pause_ms, hmsg::PurgeChunk{});
  }

  void end_purge() {
    const auto& d = purge_.deleted;
    if (d[0] + d[1] > 0) {
      spdlog::info("purge: deleted {} nonces and {} idempotency keys in {} ms", d[0], d[1],
                   elapsed_ms(purge_.started));
    }
    finish(Run::purge);
  }

  std::shared_ptr<const ActorContext> ctx_;
  ExpiryRun expiry_;
  PurgeRun purge_;
};

}  // namespace

caf::actor spawn_housekeeping(caf::actor_system& system, std::shared_ptr<const ActorContext> context) {
  return system.spawn<Housekeeping>(std::move(context));
}

}  // namespace unipay
