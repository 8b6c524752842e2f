// Internal: the writer thread behind Database::write (group commit on one connection).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "storage/delay_gate.hpp"
#include "storage/new_work_sojourn.hpp"
#include "storage/pg_connection.hpp"
#include "storage/pg_pipeline.hpp"

namespace unipay::storage {

struct GroupWriterStats {
  uint64_t ops = 0;           // ops taken from the queue and completed
  uint64_t batches = 0;       // group transactions sent (the parts of a split batch not counted)
  uint64_t transactions = 0;  // every transaction sent, the parts of split batches included
  uint64_t errors = 0;        // ops completed with an error (storage_write or a refusal)
  uint64_t refused = 0;       // ops refused with busy or overloaded (queue full, or waited too long)
  uint64_t expired = 0;       // of those, new work refused after waiting sojourn.max_wait
  uint64_t reconnects = 0;    // successful re-connections after a lost connection
  size_t depth = 0;
  std::chrono::steady_clock::duration oldest_wait{};  // of the ops queued now
};

struct GroupWriterLimits {
  size_t queue_limit = 100000;
  size_t reserved_ops = 20000;  // room in the queue only accepted work may use
  size_t max_batch = 512;
  DelayGateLimits admission;
  NewWorkSojournLimits sojourn;
};

class GroupWriter {
 public:
  GroupWriter(pg::Conn conn, GroupWriterLimits limits);
  ~GroupWriter();  // finishes the batch in flight; queued ops complete with storage_write
  GroupWriter(const GroupWriter&) = delete;
  GroupWriter& operator=(const GroupWriter&) = delete;

  // Queues the op, or completes it at once with busy when the queue is full (new work:
  // overloaded, when only the reserved room is left).
  void submit(pg::WriteOp op);
  GroupWriterStats stats() const;
  // Whether new work should start now, from the queue delay (storage/delay_gate.hpp) and
  // the oldest queued write's sojourn (storage/new_work_sojourn.hpp).
  bool admits_new_work();

 private:
  void run();
  bool take(std::vector<pg::WriteOp>& batch, std::vector<pg::WriteOp>& expired);
  // Moves the new work that has waited sojourn.max_wait (the oldest are at the front) to
  // `expired`; mu_ held. Run by the writer between batches and by every submit and admission
  // check, so a creation held by a stalled commit is refused on time, not when it ends.
  void take_expired_locked(std::chrono::steady_clock::time_point now, std::vector<pg::WriteOp>& expired);
  void refuse_expired(std::vector<pg::WriteOp>& expired);
  bool ensure_connected();
  void commit_batch(std::vector<pg::WriteOp>& batch);
  bool commit_or_split(std::span<pg::WriteOp> ops, bool known_to_fail);
  pg::TxnOutcome transact(std::span<pg::WriteOp> ops);
  void finish(pg::WriteOp& op, pg::TxnOutcome& outcome, size_t index);
  void fail(pg::WriteOp& op, Error error);

  pg::Conn conn_;  // used by the writer thread only
  // How long the oldest queued op has waited (0 when none). Under mu_.
  std::chrono::steady_clock::duration oldest_wait(std::chrono::steady_clock::time_point now) const;
  void refuse(pg::WriteOp& op, bool stopping);

  const GroupWriterLimits limits_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<pg::WriteOp> accepted_;  // guarded by mu_; committed first
  std::deque<pg::WriteOp> new_work_;  // guarded by mu_
  DelayGate gate_;                    // guarded by mu_
  bool committing_ = false;           // guarded by mu_: a batch is being committed
  // Guarded by mu_: when the oldest op of the batch being committed was queued (max() when
  // none): its ops are still waiting for their answer, so a stalled commit counts as waiting.
  std::chrono::steady_clock::time_point committing_oldest_ = std::chrono::steady_clock::time_point::max();
  bool stopping_ = false;  // guarded by mu_
  std::atomic<uint64_t> ops_{0}, batches_{0}, transactions_{0}, errors_{0}, refused_{0}, reconnects_{0},
      expired_{0};
  std::thread thread_;  // last: starts after every member above exists
};

}  // namespace unipay::storage
