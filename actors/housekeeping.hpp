// Periodic work of one node, none of it on the group writer's connection:
// - expiry: close `created` bills whose ttl passed, through their bill actors like any
//   other event. A sweep claims expired bills batch by batch (FOR UPDATE SKIP LOCKED, in
//   (expires_at, bill_id) order) until none are due or bills.max_expiries_per_sweep, one
//   node at a time (an advisory lock; the others skip that sweep);
// - purge: delete nonces and idempotency keys past their windows in chunks of
//   bills.purge_chunk_rows, with a pause between chunks, one node at a time.
// Every statement runs on the housekeeping connection (Database::maintain) under
// database.housekeeping_statement_timeout_ms.
#pragma once

#include <caf/fwd.hpp>
#include <memory>

namespace unipay {

struct ActorContext;

caf::actor spawn_housekeeping(caf::actor_system& system, std::shared_ptr<const ActorContext> context);

}  // namespace unipay
