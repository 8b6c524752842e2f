// Internal: the housekeeping connection behind Database::maintain. One thread and one
// connection of its own, so purges and expiry claims never wait behind, or hold up, the
// group writer and the readers. Every statement runs under a statement_timeout.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "storage/pg_connection.hpp"

namespace unipay::storage {

class MaintenanceRunner {
 public:
  MaintenanceRunner(std::string conninfo, std::chrono::milliseconds statement_timeout, size_t queue_limit);
  ~MaintenanceRunner();  // finishes the statement running; queued ones complete with storage_read
  MaintenanceRunner(const MaintenanceRunner&) = delete;
  MaintenanceRunner& operator=(const MaintenanceRunner&) = delete;

  // Queues the statement, or completes it at once with busy when the queue is full.
  void submit(Statement statement, ReadDone done);

 private:
  struct Op {
    Statement statement;
    ReadDone done;
  };
  void run();
  bool take(Op& op);
  Result<Rows> run_once(const Statement& statement);
  Status connect();

  const std::string conninfo_;
  const std::chrono::milliseconds statement_timeout_;
  const size_t queue_limit_;
  pg::Conn conn_;  // the thread's only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Op> queue_;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace unipay::storage
