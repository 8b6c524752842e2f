// Audit rows of callbacks refused before their signature verified (unknown app, no such
// channel, bad signature). Anyone can send those, so they must not cost a write each and
// must never queue in front of payments: they are rate-limited per source (remote address)
// and per app on the calling io thread (the limits hold per io thread), and the rows kept
// are written in batches, one multi-row INSERT per flush interval, by one actor. Dropped
// rows are counted by reason (GET /metrics). Best effort: rows waiting for the next flush
// are lost if the process stops. CAF-free: net/ includes it.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/bill_store.hpp"

namespace caf {
class actor_system;
}

namespace unipay {

struct RefusedAuditLimits {
  int64_t per_source_per_s = 10;  // audit rows kept per remote address per second
  int64_t per_app_per_s = 10;     // ...and per app id named in the URL
  int64_t burst = 20;             // either bucket's size
  size_t queue_limit = 1000;      // rows offered and not yet written; beyond: dropped
  std::chrono::milliseconds flush_ms{250};
  size_t max_tracked = 10000;  // remote addresses (and, separately, apps) tracked at once
};

// Why an audit row was not written.
enum class AuditDrop : size_t {
  malformed_app_id,  // the URL's app id cannot name an app: never stored
  source_limit,      // its remote address is over per_source_per_s
  app_limit,         // its app id is over per_app_per_s
  queue_full,        // queue_limit rows already waiting
  write_failed,      // the batch's INSERT failed (not retried)
  count_
};
inline constexpr size_t kAuditDropReasons = static_cast<size_t>(AuditDrop::count_);
std::string_view audit_drop_name(AuditDrop reason);

class RefusedCallbackAudits {
 public:
  virtual ~RefusedCallbackAudits() = default;
  // Offers the row; never blocks and never waits for the database. The rate limits are
  // kept per calling thread (one process-wide set of limits: the first sink's).
  virtual void record(storage::CallbackAudit audit, std::string source) = 0;
  // Counts a row that was never offered (a malformed app id).
  virtual void count_dropped(AuditDrop reason) = 0;
  virtual uint64_t dropped(AuditDrop reason) const = 0;
  virtual uint64_t written() const = 0;
};

// Spawns the batching actor; the returned object offers rows to it. `db` must outlive both.
// Stop the actor with stop() before the actor system goes.
class RefusedAuditSink : public RefusedCallbackAudits {
 public:
  static std::unique_ptr<RefusedAuditSink> start(caf::actor_system& system, storage::Database& db,
                                                 RefusedAuditLimits limits);
  virtual void stop() = 0;
};

}  // namespace unipay
