// What the process's allocator holds, for /metrics: the gap between the live heap and the
// RSS after a burst is the allocator's (docs/OPERATIONS.md "Overload").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace unipay {

struct AllocatorStats {
  uint64_t allocated_bytes = 0;  // in live allocations
  uint64_t active_bytes = 0;     // pages holding live allocations (allocated + the rest of their slabs)
  uint64_t metadata_bytes = 0;   // the allocator's own bookkeeping
  uint64_t resident_bytes = 0;   // the allocator's pages in physical memory: active, metadata, and
                                 // freed pages not yet handed back
  uint64_t retained_bytes = 0;   // virtual memory kept mapped for reuse, not in physical memory
};

// "jemalloc" when unipayd runs on it (UNIPAY_ALLOCATOR, cmake/Allocator.cmake), else "system".
std::string_view allocator_name();

// jemalloc's counters, refreshed by this call; nullopt under the system allocator (glibc has no
// cheap equivalent: malloc_info walks every arena under its lock).
std::optional<AllocatorStats> read_allocator_stats();

}  // namespace unipay
