// The bill registry: routes each BillRequest to the bill's actor, spawning it on demand
// (it loads its row itself), and spawns the actors of new bills. Bounded: beyond
// max_live_bill_actors it refuses with busy. Idle bill actors stop by themselves; the
// registry forgets them when their down message arrives. It answers nothing itself with
// request/then, so no pending-request table grows here.
#pragma once

#include <caf/fwd.hpp>
#include <memory>

namespace unipay {

struct ActorContext;

// The runtime completes `context` (the registry's own handle) before sending any message.
caf::actor spawn_bill_registry(caf::actor_system& system, std::shared_ptr<const ActorContext> context);

}  // namespace unipay
