#include "storage/maintenance_runner.hpp"

#include <utility>

namespace unipay::storage {

MaintenanceRunner::MaintenanceRunner(std::string conninfo, std::chrono::milliseconds statement_timeout,
                                     size_t queue_limit)
    : conninfo_(std::move(conninfo)), statement_timeout_(statement_timeout), queue_limit_(queue_limit) {
  thread_ = std::thread([this] { run(); });
}

MaintenanceRunner::~MaintenanceRunner() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (auto& op : queue_) op.done(make_error(Errc::storage_read, "database closed"));
}

void MaintenanceRunner::submit(Statement statement, ReadDone done) {
  Error refusal = make_error(Errc::busy, "housekeeping queue full");
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      refusal = make_error(Errc::storage_read, "database closed");
    } else if (queue_.size() < queue_limit_) {
      queue_.push_back(Op{std::move(statement), std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  done(std::move(refusal));
}

void MaintenanceRunner::run() {
  Op op;
  while (take(op)) {
    Result<Rows> result = run_once(op.statement);
    auto done = std::move(op.done);
    op = Op{};
    done(std::move(result));
  }
  conn_.reset();
}

bool MaintenanceRunner::take(Op& op) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  if (stopping_) return false;
  op = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

// A connection found broken fails the statement that found it (and is replaced for the
// next one) instead of silently retrying: session advisory locks died with it, and the
// caller must know its run lost the lock.
Result<Rows> MaintenanceRunner::run_once(const Statement& statement) {
  if (conn_ && !pg::alive(conn_.get())) {
    conn_.reset();
    return make_error(Errc::storage_read, "housekeeping connection lost; its session locks are released");
  }
  if (!conn_) {
    if (auto s = connect(); !s) return s.error();
  }
  Result<Rows> result = pg::exec(conn_.get(), statement, Errc::storage_write);
  if (!result && PQstatus(conn_.get()) != CONNECTION_OK) conn_.reset();  // the next op reconnects
  return result;
}

Status MaintenanceRunner::connect() {
  auto conn = pg::connect(conninfo_, "unipay-housekeeping", Errc::storage_read);
  if (!conn) return conn.error();
  // A stuck purge or claim gives up instead of holding locks and I/O for long.
  const Statement timeout{"SELECT set_config('statement_timeout', $1, false)",
                          {std::to_string(statement_timeout_.count())}};
  if (auto r = pg::exec(conn->get(), timeout, Errc::storage_read); !r) return r.error();
  conn_ = std::move(*conn);
  return ok_status();
}

}  // namespace unipay::storage
