#include "storage/reader_pool.hpp"

#include <spdlog/spdlog.h>

#include "storage/pg_prepared.hpp"

namespace unipay::storage {

ReaderPool::ReaderPool(std::vector<pg::Conn> conns, size_t queue_limit, DelayGateLimits admission)
    : conns_(std::move(conns)), queue_limit_(queue_limit), gate_(admission) {
  threads_.reserve(conns_.size());
  for (auto& conn : conns_) threads_.emplace_back([this, c = conn.get()] { run(c); });
}

ReaderPool::~ReaderPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& thread : threads_) thread.join();
  for (auto& op : queue_) op.done(make_error(Errc::storage_read, "database closed"));
}

void ReaderPool::submit(Statement statement, ReadDone done) {
  bool queued = false;
  bool stopping = false;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
    if (!stopping_ && queue_.size() < queue_limit_) {
      queue_.push_back(ReadOp{std::move(statement), std::move(done), std::chrono::steady_clock::now()});
      queued = true;
    }
  }
  if (queued) {
    cv_.notify_one();
    return;
  }
  refused_.fetch_add(1, std::memory_order_relaxed);
  done(stopping ? make_error(Errc::storage_read, "database closed")
                : make_error(Errc::busy, "read queue full"));
}

ReaderPoolStats ReaderPool::stats() const {
  ReaderPoolStats s;
  s.reads = reads_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  s.refused = refused_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  s.depth = queue_.size();
  s.oldest_wait = oldest_wait(std::chrono::steady_clock::now());
  return s;
}

std::chrono::steady_clock::duration ReaderPool::oldest_wait(std::chrono::steady_clock::time_point now) const {
  return queue_.empty() ? std::chrono::steady_clock::duration{} : now - queue_.front().queued_at;
}

bool ReaderPool::admits_new_work() {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  if (queue_.empty() && reading_ < threads_.size()) {
    gate_.observe(std::chrono::steady_clock::duration{},
                  now);  // a reader is free: a read would start at once
  } else {
    gate_.observe_waiting(oldest_wait(now), now);  // stalled readers finish no read
  }
  return gate_.admits(now);
}

void ReaderPool::run(PGconn* conn) {
  ReadOp op;
  while (take(op)) {
    Result<Rows> result = read_once(conn, op.statement);
    observe_read(op.queued_at);
    reads_.fetch_add(1, std::memory_order_relaxed);
    if (!result) errors_.fetch_add(1, std::memory_order_relaxed);
    if (!result && result.error().code == Errc::storage_read) {
      // The server's text (SQLSTATE, host names) is for the log, never for clients.
      spdlog::error("database reader: a read failed: {}", result.error().message);
      result = make_error(Errc::storage_read, "the database could not be read; retry later");
    }
    auto done = std::move(op.done);
    op = ReadOp{};
    done(std::move(result));
  }
}

// The admission gate learns how long the read took, queue and query.
void ReaderPool::observe_read(std::chrono::steady_clock::time_point queued_at) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  gate_.observe(now - queued_at, now);
  --reading_;
}

bool ReaderPool::take(ReadOp& op) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  if (stopping_) return false;
  ++reading_;
  op = std::move(queue_.front());
  queue_.pop_front();
  return true;
}

// Reads are safe to repeat, so a connection found broken (before or during the read) is
// reset once and the read tried again; a reader never sleeps in a reconnect loop, so
// reads fail fast while the database is away.
Result<Rows> ReaderPool::read_once(PGconn* conn, const Statement& statement) {
  if (!pg::alive(conn)) PQreset(conn);
  if (PQstatus(conn) != CONNECTION_OK) {
    return make_error(Errc::storage_read, "database unreachable: " + pg::connection_error(conn));
  }
  Result<Rows> result = pg::exec_prepared(conn, statement, Errc::storage_read);
  if (result || PQstatus(conn) == CONNECTION_OK) return result;
  PQreset(conn);
  if (PQstatus(conn) != CONNECTION_OK) return result;
  return pg::exec_prepared(conn, statement, Errc::storage_read);
}

}  // namespace unipay::storage
