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
#include "storage/delay_gate.hpp"
#include "storage/new_work_sojourn.hpp"

namespace unipay::storage {

// One SQL statement with text parameters $1..$n; std::nullopt is SQL NULL.
struct Statement {
  std::string sql;
  std::vector<std::optional<std::string>> params;
  // The prepared statement's name on each connection: a named SQL constant's name (see
  // storage/bill_transition.cpp), so pg_prepared_statements and the logs say which one ran.
  // nullptr: a generated name (unipay_N).
  const char* name = nullptr;
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

// Writes that start new work (a bill's creation) yield to writes that finish work already
// accepted (callbacks, transitions, deliveries: money may have been taken): they are
// committed after them, and refused (overloaded) once the queue holds
// write_queue_limit_ops - write_queue_reserved_ops ops, so accepted work keeps that room.
enum class WriteClass { accepted_work, new_work };
using ReadDone = std::function<void(Result<Rows>)>;

struct DatabaseOptions {
  std::string conninfo;
  int reader_connections = 4;             // reader threads, one connection each
  size_t write_queue_limit_ops = 100000;  // queued write ops beyond this are refused (busy)
  size_t read_queue_limit_ops = 100000;   // queued reads beyond this are refused (busy)
  size_t max_batch_ops = 512;             // write ops grouped into one transaction at most
  std::string incarnation;  // a running unipayd's (node_store.hpp): tags every connection; empty: none
  std::chrono::milliseconds maintenance_statement_timeout{5000};  // each housekeeping statement
  size_t write_queue_reserved_ops = 0;    // queue room only accepted work may use (config: 20000)
  DelayGateLimits admission;              // queue delay beyond which new work is refused
  NewWorkSojournLimits new_work_sojourn;  // creations' wait in the write queue (config: 200 / 500 ms)
};

struct DatabaseStats {
  uint64_t write_expired = 0;  // creations refused after waiting new_work_sojourn.max_wait
  uint64_t write_ops = 0;
  uint64_t write_batches = 0;
  uint64_t write_transactions = 0;  // batches plus the parts of split batches
  uint64_t write_errors = 0;
  uint64_t reads = 0;
  uint64_t read_errors = 0;
  size_t write_queue_depth = 0;
  size_t read_queue_depth = 0;
  uint64_t write_refused = 0;        // writes refused with busy (queue full)
  uint64_t read_refused = 0;         // reads refused with busy (queue full)
  uint64_t writer_reconnects = 0;    // the writer's connection was lost and re-established
  int64_t write_queue_delay_ms = 0;  // how long the oldest queued write has waited
  int64_t read_queue_delay_ms = 0;   // how long the oldest queued read has waited
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
  // batch fails (an op's statement raised an error), it is split in halves, each in a
  // transaction of its own, until the bad op is alone (O(log n) transactions), so one bad
  // op never fails the others. An op that fails alone is answered by the SQLSTATE of the
  // failing statement: class 22 (a value that cannot be stored) invalid_parameter, class
  // 23 (a constraint) conflict, anything else storage_write; the messages are client-safe,
  // the server's text is logged. A parameter holding a NUL byte is refused at once with
  // invalid_parameter (it could never be stored whole). A lost connection completes the
  // ops of that transaction with storage_write (outcome unknown) and reconnects. Never
  // blocks: a full queue completes `done` at once with busy.
  void write(std::vector<Statement> statements, WriteDone done,
             WriteClass write_class = WriteClass::accepted_work);

  // Admission control, asked by handlers before they start new work: false while the
  // writer's or the readers' queue delay has stayed above admission.target for an
  // admission.interval (storage/delay_gate.hpp). Cheap: two short locks, no I/O.
  bool admits_new_work();

  // Runs one read-only statement on a reader thread. Never blocks; full queue → busy; a
  // parameter holding a NUL byte → invalid_parameter.
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
// thread of its own. Notifications sent while the connection is down are lost, so each time
// LISTEN holds again after a time without it (a lost connection, or a start while the
// database was unreachable) it calls on_reconnect: re-read state then. It retries with
// backoff for as long as it lives. Both callbacks run on the listener's thread: hand the
// work on and return.
class Listener {
 public:
  using OnNotify = std::function<void(std::string payload)>;
  using OnReconnect = std::function<void()>;

  // Tries to connect and LISTEN before returning: when that works, every notification
  // committed after start() returns is delivered. When it does not, the listener keeps
  // trying in the background (listening() is false until it holds, then on_reconnect
  // runs). Fails only when no thread or eventfd can be made. `incarnation` tags the
  // connection's application_name (see pg::connect).
  static Result<std::unique_ptr<Listener>> start(const std::string& conninfo, const std::string& channel,
                                                 OnNotify on_notify, OnReconnect on_reconnect,
                                                 const std::string& incarnation = {});
  ~Listener();  // stops and joins the thread; no callback runs after it returns
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  bool listening() const;  // LISTEN holds on a live connection right now

 private:
  Listener() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace unipay::storage
