// One actor per live bill: the only code that changes a bill. It loads its row, decides
// events with the pure rules (actors/bill_rules), commits each transition as a
// compare-and-set through the group-commit writer, and only after COMMIT answers the caller
// and its long-poll waiters. Events that arrive during a commit wait in a bounded queue.
// Storage is reached only through ActorContext::bill_storage (actors/bill_storage.hpp).
// Refresh notifications (another node committed) that arrive during a read or a commit are
// remembered by version, and the row is read again when what the actor got is older.
#pragma once

#include <caf/fwd.hpp>
#include <memory>
#include <string>

namespace unipay {

struct ActorContext;

// Spawns the actor of an existing bill (it loads its row on the first request).
caf::actor spawn_bill_actor(caf::actor_system& system, std::shared_ptr<const ActorContext> context,
                            std::string bill_id);

}  // namespace unipay
