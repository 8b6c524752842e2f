#include "storage/group_writer.hpp"

#include <algorithm>
#include <chrono>
#include <span>

namespace unipay::storage {
namespace {

constexpr auto kFirstBackoff = std::chrono::milliseconds(50);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);

// A usable connection between batches: no leftover pipeline or open transaction.
bool clean(PGconn* conn) {
  return pg::alive(conn) && PQpipelineStatus(conn) == PQ_PIPELINE_OFF &&
         PQtransactionStatus(conn) == PQTRANS_IDLE;
}

}  // namespace

GroupWriter::GroupWriter(pg::Conn conn, size_t queue_limit, size_t max_batch)
    : conn_(std::move(conn)),
      queue_limit_(queue_limit),
      max_batch_(std::max<size_t>(max_batch, 1)),
      thread_([this] { run(); }) {}

GroupWriter::~GroupWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (auto& op : queue_) fail(op, "database closed before the write was sent");
}

void GroupWriter::submit(pg::WriteOp op) {
  bool queued = false;
  bool stopping = false;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
    if (!stopping_ && queue_.size() < queue_limit_) {
      queue_.push_back(std::move(op));
      queued = true;
    }
  }
  if (queued) {
    cv_.notify_one();
    return;
  }
  refused_.fetch_add(1, std::memory_order_relaxed);
  op.done(stopping ? make_error(Errc::storage_write, "database closed")
                   : make_error(Errc::busy, "write queue full"));
}

GroupWriterStats GroupWriter::stats() const {
  GroupWriterStats s;
  s.ops = ops_.load(std::memory_order_relaxed);
  s.batches = batches_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  s.refused = refused_.load(std::memory_order_relaxed);
  s.reconnects = reconnects_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  s.depth = queue_.size();
  return s;
}

void GroupWriter::run() {
  std::vector<pg::WriteOp> batch;
  while (take(batch)) {
    if (!ensure_connected()) {  // only when stopping during a reconnect
      for (auto& op : batch) fail(op, "database closed before the write was sent");
      return;
    }
    commit_batch(batch);
    batch.clear();
  }
}

// Waits for work, then takes everything waiting (up to max_batch_): the ops that queued
// while the previous batch was committing share the next transaction.
bool GroupWriter::take(std::vector<pg::WriteOp>& batch) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  if (stopping_) return false;
  const size_t n = std::min(queue_.size(), max_batch_);
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return true;
}

// Resets the connection until it works, with exponential backoff; false when stopping.
bool GroupWriter::ensure_connected() {
  if (clean(conn_.get())) return true;
  auto backoff = kFirstBackoff;
  for (;;) {
    PQreset(conn_.get());
    if (PQstatus(conn_.get()) == CONNECTION_OK) {
      reconnects_.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, backoff, [this] { return stopping_; })) return false;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void GroupWriter::commit_batch(std::vector<pg::WriteOp>& batch) {
  batches_.fetch_add(1, std::memory_order_relaxed);
  pg::TxnOutcome outcome = pg::run_transaction(conn_.get(), batch);
  using Kind = pg::TxnOutcome::Kind;
  if (outcome.kind != Kind::failed || batch.size() == 1) {
    for (size_t i = 0; i < batch.size(); ++i) finish(batch[i], outcome, i);
    return;
  }
  // One op's statement failed and took the whole group down: give each op a transaction
  // of its own so only the bad one fails.
  for (auto& op : batch) commit_alone(op);
}

void GroupWriter::commit_alone(pg::WriteOp& op) {
  if (!ensure_connected()) return fail(op, "database closed before the write was sent");
  pg::TxnOutcome outcome = pg::run_transaction(conn_.get(), std::span(&op, 1));
  finish(op, outcome, 0);
}

void GroupWriter::finish(pg::WriteOp& op, pg::TxnOutcome& outcome, size_t index) {
  using Kind = pg::TxnOutcome::Kind;
  switch (outcome.kind) {
    case Kind::committed:
      ops_.fetch_add(1, std::memory_order_relaxed);
      op.done(std::move(outcome.rows[index]));
      return;
    case Kind::failed:
      return fail(op, outcome.error);
    case Kind::connection_lost:
      return fail(op, "connection lost, outcome unknown: " + outcome.error);
  }
}

void GroupWriter::fail(pg::WriteOp& op, const std::string& message) {
  ops_.fetch_add(1, std::memory_order_relaxed);
  errors_.fetch_add(1, std::memory_order_relaxed);
  op.done(make_error(Errc::storage_write, message));
}

}  // namespace unipay::storage
