// Messages to bill actors, routed by the bill registry. Local only (never serialised),
// so they are CAF "unsafe" message types. Include only from actors/*.cpp: it pulls CAF.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "actors/bill_rules.hpp"
#include "actors/bill_service.hpp"
#include "actors/reply.hpp"
#include "storage/bill_store.hpp"
#include "storage/bill_versions.hpp"

namespace unipay::msg {

// Read the bill as it is.
struct Get {
  Reply<Bill> reply;
};

// Long poll: answer when wait_satisfied(state, until) or at the deadline.
struct Wait {
  WaitUntil until = WaitUntil::paid;
  std::chrono::milliseconds timeout{0};
  Reply<WaitResult> reply;
  uint64_t wait_id = 0;  // unique per node, chosen by the caller; 0: never abandoned
};

// The client of wait `wait_id` went away: answer it (server_busy) and free its slot.
struct Abandon {
  uint64_t wait_id = 0;
};

// Apply an event (callback, close, expiry, delivery confirmation, refund).
struct Event {
  BillEvent event;
  std::optional<storage::CallbackAudit> audit;  // written with the transition when it applies
  Reply<EventResult> reply;
  // delivery_confirmed: the 2xx attempt, put on record whatever the decision (with the
  // `delivered` transition, or alone when the actor decides without a transition).
  std::optional<storage::DeliveryAttempt> attempt;
};

// Re-read the row (another node changed it, or the LISTEN connection was lost). A
// notification names the version it committed: an actor already at it skips the read.
struct Refresh {
  int64_t version = 0;  // 0: re-read unconditionally
};

// A request for one bill, routed by the registry to that bill's actor.
struct BillRequest {
  std::string bill_id;
  std::variant<Get, Wait, Event, Refresh, Abandon> command;
};

// Answers the request's caller with `error` (a Refresh or an Abandon has no caller).
inline void fail(BillRequest& request, const Error& error) {
  std::visit(
      [&](auto& cmd) {
        if constexpr (requires { cmd.reply; }) cmd.reply(error);
      },
      request.command);
}

// Commands that only concern an actor already live: not worth spawning one for.
inline bool only_for_live_actor(const BillRequest& request) {
  return std::holds_alternative<Refresh>(request.command) || std::holds_alternative<Abandon>(request.command);
}

// A new bill: the registry spawns its actor, which commits the insert.
struct Create {
  Bill bill;
  std::optional<storage::IdempotencyRecord> idempotency;
  Reply<CreateResult> reply;
  std::optional<storage::NonceClaim> nonce;  // recorded by the bill's own insert
};

// Internal messages of the bill actor.
struct Loaded {
  Result<std::optional<Bill>> row;
};
struct Committed {
  Result<bool> applied;                      // false: compare-and-set lost (another writer changed the row)
  std::optional<storage::Job> delivery_job;  // the delivery job the transition leased here
};
struct WaiterDeadline {
  uint64_t waiter_id = 0;
};
struct IdleCheck {};

// Registry bookkeeping.
struct RefreshAll {};  // after the LISTEN connection came back
// Admission control's probe of the registry's mailbox: `done` runs when it is handled.
struct Probe {
  std::function<void()> done;
};
// The refresh sweep (actors/refresh_sweep.hpp): read the next batch's versions now; and
// what that read found. `generation` tells a newer sweep's messages from an older one's.
struct SweepNext {
  uint64_t generation = 0;
};
struct SweepRead {
  uint64_t generation = 0;
  Result<std::vector<storage::BillVersion>> versions;
};

}  // namespace unipay::msg

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::BillRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::Create)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::Loaded)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::Committed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::WaiterDeadline)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::IdleCheck)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::RefreshAll)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::Probe)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::SweepNext)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(unipay::msg::SweepRead)
