// Internal: the reader threads behind Database::read, one connection each, one shared
// bounded queue.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/delay_gate.hpp"
#include "storage/pg_connection.hpp"

namespace unipay::storage {

struct ReaderPoolStats {
  uint64_t reads = 0;    // reads completed
  uint64_t errors = 0;   // reads completed with storage_read
  uint64_t refused = 0;  // reads refused with busy (queue full)
  size_t depth = 0;
  std::chrono::steady_clock::duration oldest_wait{};  // of the reads queued now
};

class ReaderPool {
 public:
  ReaderPool(std::vector<pg::Conn> conns, size_t queue_limit, DelayGateLimits admission);
  ~ReaderPool();  // finishes the reads in flight; queued reads complete with storage_read
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // Queues the read, or completes it at once with busy when the queue is full. A failed
  // read completes with storage_read and a client-safe message; the detail is logged.
  void submit(Statement statement, ReadDone done);
  ReaderPoolStats stats() const;
  // Whether new work should start now, from the queue delay (storage/delay_gate.hpp).
  bool admits_new_work();

 private:
  struct ReadOp {
    Statement statement;
    ReadDone done;
    std::chrono::steady_clock::time_point queued_at{};
  };
  // How long the oldest queued read has waited (0 when none). Under mu_.
  std::chrono::steady_clock::duration oldest_wait(std::chrono::steady_clock::time_point now) const;
  void run(PGconn* conn);
  bool take(ReadOp& op);
  void observe_read(std::chrono::steady_clock::time_point queued_at);
  Result<Rows> read_once(PGconn* conn, const Statement& statement);

  std::vector<pg::Conn> conns_;  // conns_[i] is used by threads_[i] only
  const size_t queue_limit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ReadOp> queue_;  // guarded by mu_
  DelayGate gate_;            // guarded by mu_
  size_t reading_ = 0;        // guarded by mu_: reads running now
  bool stopping_ = false;     // guarded by mu_
  std::atomic<uint64_t> reads_{0}, errors_{0}, refused_{0};
  std::vector<std::thread> threads_;
};

}  // namespace unipay::storage
