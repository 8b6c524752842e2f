#include "storage/group_writer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
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

GroupWriter::GroupWriter(pg::Conn conn, GroupWriterLimits limits)
    : conn_(std::move(conn)), limits_(limits), gate_(limits.admission), thread_([this] { run(); }) {
  assert(limits_.max_batch >= 1 && limits_.reserved_ops <= limits_.queue_limit);  // validated config
}

GroupWriter::~GroupWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (auto* queue : {&accepted_, &new_work_}) {
    for (auto& op : *queue)
      fail(op, make_error(Errc::storage_write, "database closed, the write was not sent"));
  }
}

void GroupWriter::submit(pg::WriteOp op) {
  for (const auto& statement : op.statements) {
    if (Status checked = pg::check_params(statement); !checked) {
      errors_.fetch_add(1, std::memory_order_relaxed);
      return op.done(checked.error());  // before queueing: it must not share a batch
    }
  }
  const bool new_work = op.write_class == WriteClass::new_work;
  const size_t limit = new_work ? limits_.queue_limit - limits_.reserved_ops : limits_.queue_limit;
  bool queued = false;
  bool stopping = false;
  std::vector<pg::WriteOp> expired;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
    if (!stopping_) take_expired_locked(std::chrono::steady_clock::now(), expired);
    if (!stopping_ && accepted_.size() + new_work_.size() < limit) {
      op.queued_at = std::chrono::steady_clock::now();
      (new_work ? new_work_ : accepted_).push_back(std::move(op));
      queued = true;
    }
  }
  refuse_expired(expired);
  if (queued) {
    cv_.notify_one();
    return;
  }
  refuse(op, stopping);
}

void GroupWriter::refuse(pg::WriteOp& op, bool stopping) {
  refused_.fetch_add(1, std::memory_order_relaxed);
  if (stopping) return op.done(make_error(Errc::storage_write, "database closed, the write was not sent"));
  if (op.write_class == WriteClass::new_work) {
    return op.done(make_error(Errc::overloaded, "the server is overloaded; retry later"));
  }
  op.done(make_error(Errc::busy, "write queue full"));
}

std::chrono::steady_clock::duration GroupWriter::oldest_wait(
    std::chrono::steady_clock::time_point now) const {
  std::chrono::steady_clock::duration wait{};
  if (committing_ && committing_oldest_ < now) wait = now - committing_oldest_;
  for (const auto* queue : {&accepted_, &new_work_}) {
    if (!queue->empty()) wait = std::max(wait, now - queue->front().queued_at);
  }
  return wait;
}

bool GroupWriter::admits_new_work() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<pg::WriteOp> expired;
  bool admits = false;
  {
    std::lock_guard lock(mu_);
    if (!committing_ && accepted_.empty() && new_work_.empty()) {
      gate_.observe(std::chrono::steady_clock::duration{}, now);  // idle: new work would start at once
      return gate_.admits(now);
    }
    take_expired_locked(now, expired);
    const auto waited = oldest_wait(now);
    gate_.observe_waiting(waited, now);  // a stalled writer finishes no batch
    admits = sojourn_admits_new_work(limits_.sojourn, waited) && gate_.admits(now);
  }
  refuse_expired(expired);
  return admits;
}

GroupWriterStats GroupWriter::stats() const {
  GroupWriterStats s;
  s.ops = ops_.load(std::memory_order_relaxed);
  s.batches = batches_.load(std::memory_order_relaxed);
  s.transactions = transactions_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  s.refused = refused_.load(std::memory_order_relaxed);
  s.reconnects = reconnects_.load(std::memory_order_relaxed);
  s.expired = expired_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  s.depth = accepted_.size() + new_work_.size();
  s.oldest_wait = oldest_wait(std::chrono::steady_clock::now());
  return s;
}

void GroupWriter::run() {
  std::vector<pg::WriteOp> batch;
  std::vector<pg::WriteOp> expired;
  while (take(batch, expired)) {
    refuse_expired(expired);
    if (batch.empty()) {
      std::lock_guard lock(mu_);
      committing_ = false;
      continue;
    }
    auto oldest = std::chrono::steady_clock::time_point::max();
    for (const auto& op : batch) oldest = std::min(oldest, op.queued_at);
    commit_batch(batch);
    batch.clear();
    // The admission gate learns how long the batch's oldest op took, queue and commit: with
    // group commit the queue empties at every batch, so its length alone would say little.
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    gate_.observe(now - oldest, now);
    committing_ = false;
  }
}

// Waits for work, then takes everything waiting (up to max_batch): the ops that queued
// while the previous batch was committing share the next transaction. Accepted work goes
// first. New work that has waited sojourn.max_wait moves to `expired` instead (the oldest
// are at the front), to be refused outside the lock.
bool GroupWriter::take(std::vector<pg::WriteOp>& batch, std::vector<pg::WriteOp>& expired) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return stopping_ || !accepted_.empty() || !new_work_.empty(); });
  if (stopping_) return false;
  committing_ = true;
  take_expired_locked(std::chrono::steady_clock::now(), expired);
  committing_oldest_ = std::chrono::steady_clock::time_point::max();
  for (auto* queue : {&accepted_, &new_work_}) {
    while (!queue->empty() && batch.size() < limits_.max_batch) {
      committing_oldest_ = std::min(committing_oldest_, queue->front().queued_at);
      batch.push_back(std::move(queue->front()));
      queue->pop_front();
    }
  }
  return true;
}

void GroupWriter::take_expired_locked(std::chrono::steady_clock::time_point now,
                                      std::vector<pg::WriteOp>& expired) {
  while (!new_work_.empty() && new_work_expired(limits_.sojourn, now - new_work_.front().queued_at)) {
    expired.push_back(std::move(new_work_.front()));
    new_work_.pop_front();
  }
}

void GroupWriter::refuse_expired(std::vector<pg::WriteOp>& expired) {
  for (auto& op : expired) {
    expired_.fetch_add(1, std::memory_order_relaxed);
    refuse(op, /*stopping=*/false);  // new work: overloaded, 503 busy + Retry-After
  }
  expired.clear();
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
