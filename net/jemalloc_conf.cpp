// jemalloc's settings for unipayd, read by jemalloc at its first allocation (linked only when
// UNIPAY_ALLOCATOR picks jemalloc, cmake/Allocator.cmake). Chosen by measurement
// (docs/BENCHMARKS.md "Memory after an overload, and the allocator"):
//   background_thread:true  a jemalloc thread purges on its own clock, so an idle server
//                           gives memory back too (without it, decay only advances when
//                           some thread allocates);
//   dirty_decay_ms          freed pages are kept this long for reuse, then handed back;
//   muzzy_decay_ms:0        pages handed back are released at once (no second stage);
//   tcache_*                smaller per-thread caches: a thread that goes idle after a burst
//                           (most of CAF's and asio's threads) keeps what its cache holds,
//                           and with it whole pages; measured no CPU cost per lifecycle.
// MALLOC_CONF in the environment overrides any of these (docs/DEPLOYMENT.md "Allocator").
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's (its documented `malloc_conf` symbol).
extern const char* malloc_conf;
const char* malloc_conf =
    "background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:0,"
    "tcache_max:4096,tcache_nslots_small_max:16,tcache_nslots_large:4";
}
