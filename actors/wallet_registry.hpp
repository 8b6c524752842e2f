// The wallet registry: routes each WalletRequest to its account's actor, spawning it on
// demand (it loads its account itself). Bounded: beyond wallets.max_live_accounts it
// refuses with busy. Idle wallet actors stop by themselves; the registry forgets them when
// their down message arrives. Built on the keyed-actor piece the bill registry uses
// (actors/keyed_actors.hpp).
#pragma once

#include <caf/fwd.hpp>
#include <memory>

#include "actors/wallet_service.hpp"
#include "storage/database.hpp"

namespace unipay {

struct ActorContext;

caf::actor spawn_wallet_registry(caf::actor_system& system, std::shared_ptr<const ActorContext> context);

// The facade the handlers and the delivery of recharge bills use: every call goes through
// the registry; a request dropped because its actor stopped (idle reaping) is sent again.
// `registry` must be the wallet registry; `db` reads an app's wallet unit for recharges.
std::unique_ptr<WalletService> make_routed_wallet_service(caf::actor registry, storage::Database& db);

}  // namespace unipay
