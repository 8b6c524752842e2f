#include "storage/group_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "storage/write_failure.hpp"

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
  for (auto& op : queue_)
    fail(op, make_error(Errc::storage_write, "database closed, the write was not sent"));
}

void GroupWriter::submit(pg::WriteOp op) {
  for (const auto& statement : op.statements) {
    if (Status checked = pg::check_params(statement); !checked) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      return op.done(checked.error());  // before queueing: it must not share a batch
    }
  }
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
  op.done(stopping ? make_error(Errc::storage_write, "database closed, the write was not sent")
                   : make_error(Errc::busy, "write queue full"));
}

GroupWriterStats GroupWriter::stats() const {
  GroupWriterStats s;
  s.ops = ops_.load(std::memory_order_relaxed);
  s.batches = batches_.load(std::memory_order_relaxed);
  s.transactions = transactions_.load(std::memory_order_relaxed);
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
  (void)commit_or_split(batch, /*known_to_fail=*/false);
}

// Commits `ops` in one transaction. When a statement fails, everything rolls back and the
// bad op is found by halving: each half gets a transaction of its own, so one bad op among
// n costs about 2·log2(n) transactions instead of n, and every good op still commits.
// `known_to_fail`: this group's parent failed while its first half committed, so the
// failure is in this half and running it whole would only fail again. Being wrong about
// that (a failure that was transient) costs transactions, never correctness. True when
// the ops committed in one transaction.
bool GroupWriter::commit_or_split(std::span<pg::WriteOp> ops, bool known_to_fail) {
  using Kind = pg::TxnOutcome::Kind;
  if (!ensure_connected()) {  // only when stopping during a reconnect
    for (auto& op : ops) fail(op, make_error(Errc::storage_write, "database closed, the write was not sent"));
    return false;
  }
  if (!known_to_fail || ops.size() == 1) {
    pg::TxnOutcome outcome = transact(ops);
    if (outcome.kind != Kind::failed || ops.size() == 1) {
      for (size_t i = 0; i < ops.size(); ++i) finish(ops[i], outcome, i);
      return outcome.kind == Kind::committed;
    }
  }
  const size_t half = ops.size() / 2;
  const bool first_committed = commit_or_split(ops.first(half), false);
  (void)commit_or_split(ops.subspan(half), first_committed);
  return false;
}

pg::TxnOutcome GroupWriter::transact(std::span<pg::WriteOp> ops) {
  transactions_.fetch_add(1, std::memory_order_relaxed);
  pg::TxnOutcome outcome = pg::run_transaction(conn_.get(), ops);
  if (outcome.kind == pg::TxnOutcome::Kind::connection_lost) {
    spdlog::error("database writer: connection lost with {} write ops in flight, outcome unknown: {}",
                  ops.size(), outcome.error);
  }
  return outcome;
}

// `outcome` is the outcome of the transaction that held `op`; a failure reaches here only
// for an op that failed in a transaction of its own.
void GroupWriter::finish(pg::WriteOp& op, pg::TxnOutcome& outcome, size_t index) {
  using Kind = pg::TxnOutcome::Kind;
  switch (outcome.kind) {
    case Kind::committed:
      ops_.fetch_add(1, std::memory_order_relaxed);
      op.done(std::move(outcome.rows[index]));
      return;
    case Kind::failed: {
      Error error = classify_write_failure(outcome.sqlstate);
      spdlog::error("database writer: a write op failed in a transaction of its own, answered \"{}\": {}",
                    error.message, outcome.error);
      return fail(op, std::move(error));
    }
    case Kind::connection_lost:
      return fail(op, make_error(Errc::storage_write, "connection to the database lost, outcome unknown"));
  }
}

void GroupWriter::fail(pg::WriteOp& op, Error error) {
  ops_.fetch_add(1, std::memory_order_relaxed);
  errors_.fetch_add(1, std::memory_order_relaxed);
  op.done(std::move(error));
}

}  // namespace unipay::storage
