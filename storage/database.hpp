// PostgreSQL access. Every libpq call runs on threads this class owns: never on an asio
// thread or in a scheduled actor. Callers hand over statements and a completion callback;
// the callback runs on a storage thread, so it must only hand the result on
// (caf::anon_send to an actor, boost::asio::post to an executor) and return.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/result.hpp"

namespace unipay::storage {

// One SQL statement with text parameters $1..$n; std::nullopt is SQL NULL.
struct Statement {
  std::string sql;
  std::vector<std::optional<std::string>> params;
};

// A statement's result in text format.
struct Rows {
  std::vector<std::vector<std::optional<std::string>>> rows;
  int64_t affected = 0;  // PQcmdTuples: rows inserted/updated/deleted

  size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  // The text of a cell; "" for NULL.
  const std::string& text(size_t row, size_t col) const;
  bool is_null(size_t row, size_t col) const { return !rows.at(row).at(col).has_value(); }
};

using WriteDone = std::function<void(Result<std::vector<Rows>>)>;
using ReadDone = std::function<void(Result<Rows>)>;

struct DatabaseOptions {
  std::string conninfo;
  int reader_connections = 4;             // reader threads, one connection each
  size_t write_queue_limit_ops = 100000;  // queued write ops beyond this are refused (busy)
  size_t read_queue_limit_ops = 100000;   // queued reads beyond this are refused (busy)
  size_t max_batch_ops = 512;             // write ops grouped into one transaction at most
  std::chrono::milliseconds maintenance_statement_timeout{5000};  // each housekeeping statement
};

struct DatabaseStats {
  uint64_t write_ops = 0;
  uint64_t write_batches = 0;
  uint64_t write_errors = 0;
  uint64_t reads = 0;
  uint64_t read_errors = 0;
  size_t write_queue_depth = 0;
  size_t read_queue_depth = 0;
  uint64_t write_refused = 0;      // writes refused with busy (queue full)
  uint64_t read_refused = 0;       // reads refused with busy (queue full)
  uint64_t writer_reconnects = 0;  // the writer's connection was lost and re-established
};

class Database {
 public:
  // Connects the writer and the readers; fails with storage_read when unreachable.
  static Result<std::unique_ptr<Database>> open(const DatabaseOptions& options);
  ~Database();  // stops the threads; ops still queued complete with storage_write
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Group commit: the writer thread takes every op waiting (up to max_batch_ops) and
  // commits them in one transaction (libpq pipeline mode). The statements of one op are
  // atomic together; `done` runs only after COMMIT, with one Rows per statement. When the
  // batch fails (an op's statement raised an error), each op is retried in a transaction
  // of its own, so one bad op never fails the others. A lost connection completes the ops
  // of that batch with storage_write (outcome unknown) and reconnects. Never blocks:
  // a full queue completes `done` at once with busy.
  void write(std::vector<Statement> statements, WriteDone done);

  // Runs one read-only statement on a reader thread. Never blocks; full queue → busy.
  void read(Statement statement, ReadDone done);

  // Runs one housekeeping statement (a purge chunk, an expiry claim, an advisory lock) on
  // the housekeeping connection: its own thread and connection (opened on first use), one
  // statement at a time under maintenance_statement_timeout, autocommit. Session state
  // (advisory locks) lasts until the connection is lost; the statement that finds it lost
  // fails with storage_read. Never blocks; more than a few queued → busy.
  void maintain(Statement statement, ReadDone done);

  // Blocking single statement in its own transaction, for start-up, the CLI and tests.
  // Must not be called from an asio thread or a scheduled actor. Runs on a dedicated
  // connection (opened on first use, calls serialized); unreachable → storage_read,
  // a statement error → storage_write.
  Result<Rows> run_blocking(const Statement& statement);

  DatabaseStats stats() const;

 private:
  Database() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Receives the NOTIFY payloads of one channel (cross-node wake-ups) on a connection and a
// thread of its own. Notifications sent while the connection is down are lost, so after it
// re-establishes a lost connection (with backoff) it calls on_reconnect: re-read state then.
// Both callbacks run on the listener's thread: hand the work on and return.
class Listener {
 public:
  using OnNotify = std::function<void(std::string payload)>;
  using OnReconnect = std::function<void()>;

  // Connects and runs LISTEN before returning, so every notification committed after
  // start() returns is delivered. Unreachable → storage_read.
  static Result<std::unique_ptr<Listener>> start(const std::string& conninfo, const std::string& channel,
                                                 OnNotify on_notify, OnReconnect on_reconnect);
  ~Listener();  // stops and joins the thread; no callback runs after it returns
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

 private:
  Listener() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unipay::storage
