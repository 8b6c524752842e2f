// The actor that makes one delivery attempt of one job (actors/delivery_attempt_actor.cpp
// says how). Spawned by the delivery dispatcher only, which monitors it; it reports to
// ActorContext::dispatcher with msg::AttemptEnded before it ends.
#pragma once

#include <caf/fwd.hpp>
#include <memory>
#include <optional>
#include <string>

#include "storage/job_store.hpp"

namespace unipay {

struct ActorContext;

// With a job: attempt it (claimed by this node). Without: attempt 1 of the bill's job right
// after its `paid` commit, when the job reads as leased to this node.
caf::actor spawn_delivery_attempt(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                                  std::string bill_id, std::optional<storage::Job> job);

}  // namespace unipay
