// Delivery to game servers until they confirm. The dispatcher claims due delivery jobs
// (FOR UPDATE SKIP LOCKED, leased to this process's node identity) and runs one retry actor
// per job; a retry actor POSTs the signed bill.paid event, and on a 2xx asks the bill actor
// to commit `delivered` (which deletes the job in the same transaction). On failure it
// stores the next attempt time (exponential backoff, full jitter) before it waits, so a
// crash loses nothing: the job comes back when its lease runs out, or at once when a node
// starts and finds its holder dead. Every job write names the lease holder; a retry actor
// whose lease another process holds now stops quietly.
#pragma once

#include <caf/fwd.hpp>
#include <memory>

namespace unipay {

struct ActorContext;

caf::actor spawn_delivery_dispatcher(caf::actor_system& system, std::shared_ptr<const ActorContext> context);

}  // namespace unipay
