// What the HTTP handlers ask of the bill actors. CAF-free on purpose: net/ includes this
// header, not CAF. Every callback runs exactly once, on an actor or storage thread: hop to
// an io thread (http::Post) before doing request work.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "actors/bill_rules.hpp"
#include "config/result.hpp"
#include "storage/bill.hpp"
#include "storage/bill_store.hpp"

namespace unipay {

struct WaitResult {
  Bill bill;
  bool timed_out = false;
};

struct EventResult {
  Bill bill;
  Verdict verdict = Verdict::apply;  // apply (committed) or ignore; refusals are errors
  std::string reason;
  bool alert = false;  // ignored, but an operator must look (Decision::alert: a partial refund)
};

struct CreateResult {
  bool created = false;  // false: the idempotency key already existed (replay it)
  Bill bill;
};

template <class T>
using Callback = std::function<void(Result<T>)>;

class BillService {
 public:
  virtual ~BillService() = default;

  // Commits a new bill (with its idempotency record) and keeps its actor live. With a
  // nonce claim the same statement records the request's nonce: a nonce already used
  // creates nothing and is the error replayed.
  virtual void create(Bill bill, std::optional<storage::IdempotencyRecord> idempotency,
                      std::optional<storage::NonceClaim> nonce, Callback<CreateResult> done) = 0;
  // not_found when there is no such bill.
  virtual void get(const std::string& bill_id, Callback<Bill> done) = 0;
  // Long poll; busy when the bill has its maximum of waiters. Returns the wait's id for
  // abandon_wait.
  virtual uint64_t wait(const std::string& bill_id, WaitUntil until, std::chrono::milliseconds timeout,
                        Callback<WaitResult> done) = 0;
  // The long poll's client went away: its waiter is removed now (its `done` runs with
  // server_busy), freeing the bill's waiter slot. Nothing happens if it was answered.
  virtual void abandon_wait(const std::string& bill_id, uint64_t wait_id) = 0;
  // Applies an event; refusals come back as errors (conflict, invalid_parameter...).
  virtual void apply(const std::string& bill_id, BillEvent event, std::optional<storage::CallbackAudit> audit,
                     Callback<EventResult> done) = 0;
  // The game server answered `attempt` with 2xx: the bill actor commits `delivered` with the
  // attempt on record in the same statement, or, when the bill needs no transition (already
  // delivered or refunded, or a stale copy refuses it), records the attempt alone before it
  // answers. Either way an answer without error means the attempt is on record.
  virtual void confirm_delivery(const std::string& bill_id, storage::DeliveryAttempt attempt,
                                Callback<EventResult> done) = 0;
  // Makes the bill's live actor (if any) re-read its row: its cached state may be stale.
  virtual void refresh(const std::string& bill_id) = 0;
};

}  // namespace unipay
