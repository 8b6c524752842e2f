// One actor per live account: the only code that changes an account. It loads the account
// with its active holds, and decides the operations waiting for it in order with the pure
// ledger rules (decide_batch) against its running state, then commits all applied ones in
// one write (consecutive compare-and-sets on the account's version, through the grouped
// writer) and answers each only after that commit. So a hot account costs one round trip
// per batch, not per operation. Operations that arrive meanwhile wait in a bounded queue
// (wallets.max_pending_ops_per_account; then busy). A timer expires each hold at its
// expires_at. A lost compare-and-set (another node changed the account) re-reads the
// account and decides the rest again. Storage is reached only through
// ActorContext::wallet_storage (actors/wallet_storage.hpp).
#pragma once

#include <caf/fwd.hpp>
#include <memory>
#include <string>

namespace unipay {

struct ActorContext;

caf::actor spawn_wallet_actor(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                              std::string app_id, std::string account_id);

}  // namespace unipay
