// The hold sweep: every wallets.hold_sweep_interval_ms, finds active holds past their
// expires_at (after a restart, or on accounts with no live actor, no timer runs for them)
// and wakes each one's account actor, which expires them through its own commits. Only an
// account's actor changes an account: the sweep only reads and sends.
#pragma once

#include <caf/fwd.hpp>
#include <memory>

namespace unipay {

struct ActorContext;

caf::actor spawn_hold_sweep(caf::actor_system& system, std::shared_ptr<const ActorContext> context);

}  // namespace unipay
