// Periodic work of one node: close `created` bills whose ttl passed (through their bill
// actors, like any other event), and purge nonces and idempotency keys past their windows.
#pragma once

#include <caf/fwd.hpp>
#include <memory>

namespace unipay {

struct ActorContext;

caf::actor spawn_housekeeping(caf::actor_system& system, std::shared_ptr<const ActorContext> context);

}  // namespace unipay
