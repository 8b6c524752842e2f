// Delivery to game servers until they confirm: the job dispatcher (actors/job_dispatcher.hpp)
// for `delivery` jobs. A retry actor (actors/delivery_attempt_actor.hpp) POSTs the signed
// bill.paid event, and on a 2xx asks the bill actor to commit `delivered` (which deletes the
// job in the same transaction); on failure it stores the next attempt time (exponential
// backoff, full jitter) before it waits, so a crash loses nothing: the job comes back when
// its lease runs out, or at once when a node starts and finds its holder dead.
#pragma once

#include <caf/fwd.hpp>
#include <memory>

namespace unipay {

struct ActorContext;

caf::actor spawn_delivery_dispatcher(caf::actor_system& system, std::shared_ptr<const ActorContext> context);

}  // namespace unipay
