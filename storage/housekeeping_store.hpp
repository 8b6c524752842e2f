// SQL of the periodic housekeeping: purging nonces and idempotency keys past their windows
// in small chunks, and the advisory locks that let one node at a time do a run. These run
// on the housekeeping connection (Database::maintain), never the group writer's.
#pragma once

#include <cstdint>

#include "storage/database.hpp"

namespace unipay::storage {

// Session-level advisory lock keys shared by every unipayd node.
inline constexpr int64_t kPurgeLockKey = 8461816681268338001;   // one node purges at a time
inline constexpr int64_t kExpiryLockKey = 8461816681268338002;  // one node sweeps expiry at a time

// One row: 't' when this connection now holds the lock, 'f' when another session does.
Statement try_advisory_lock(int64_t key);
// One row: 't' when the lock was held by this connection and is released.
Statement advisory_unlock(int64_t key);

// Deletes at most `limit` nonces older than window_s seconds, the oldest first (through the
// seen_at index; the rows go by ctid, so no second scan). `affected` < limit: none left.
Statement purge_nonces_chunk(int window_s, int limit);
// The same for idempotency keys older than keep_s seconds.
Statement purge_idempotency_chunk(int keep_s, int limit);

}  // namespace unipay::storage
