// Chunked deletes select their victims' ctids through the time index (ORDER BY ... LIMIT,
// so the index range scan stops after `limit` rows) and delete them by TID: each chunk
// costs about `limit` index entries and heap tuples, however many rows are due.
#include "storage/housekeeping_store.hpp"

#include <string>

namespace unipay::storage {

Statement try_advisory_lock(int64_t key) {
  return {"SELECT pg_try_advisory_lock($1::bigint)", {std::to_string(key)}};
}

Statement advisory_unlock(int64_t key) {
  return {"SELECT pg_advisory_unlock($1::bigint)", {std::to_string(key)}};
}

Statement purge_nonces_chunk(int window_s, int limit) {
  return {
      "DELETE FROM nonces WHERE ctid = ANY (ARRAY(SELECT ctid FROM nonces "
      "WHERE seen_at < now() - $1::integer * interval '1 second' ORDER BY seen_at LIMIT $2::integer))",
      {std::to_string(window_s), std::to_string(limit)}};
}

Statement purge_idempotency_chunk(int keep_s, int limit) {
  return {
      "DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(SELECT ctid FROM idempotency_keys "
      "WHERE created_at < now() - $1::integer * interval '1 second' ORDER BY created_at "
      "LIMIT $2::integer))",
      {std::to_string(keep_s), std::to_string(limit)}};
}

}  // namespace unipay::storage
