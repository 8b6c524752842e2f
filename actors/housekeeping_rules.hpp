// When a housekeeping run goes on: pure, so the bounds are tested without a database.
#pragma once

#include <cstddef>
#include <cstdint>

namespace unipay {

// After a purge chunk deleted `deleted` rows (chunk_rows asked), `chunks_done` chunks of
// this table into the run: another chunk only when this one was full (rows may be left)
// and the run's limit is not reached.
bool purge_continues(int64_t deleted, size_t chunk_rows, size_t chunks_done, size_t max_chunks);

// After a claim of `claimed` expired bills (batch asked), `closed_so_far` bills into the
// sweep: claim again only when the batch was full and the sweep's limit is not reached.
bool expiry_continues(size_t claimed, size_t batch, size_t closed_so_far, size_t max_per_sweep);

}  // namespace unipay
