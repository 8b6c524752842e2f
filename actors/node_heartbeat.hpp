// The heartbeat of this process's node identity: renews its row in `nodes` every
// server.heartbeat_interval_ms through the group writer (never blocking an actor thread),
// so other processes starting meanwhile leave its job leases alone.
#pragma once

#include <caf/fwd.hpp>
#include <memory>

#include "storage/node_store.hpp"

namespace unipay {

struct ActorContext;

caf::actor spawn_node_heartbeat(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                                storage::NodeIdentity node);

}  // namespace unipay
