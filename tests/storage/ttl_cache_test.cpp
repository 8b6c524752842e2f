// Proves the per-thread read cache: hits within the ttl, misses after it, and a bound that
// empties instead of growing.
#include "storage/ttl_cache.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace unipay::storage {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(TtlCache, HitWithinTtlMissAfter) {
  TtlCache<int> cache(1000ms, 10);
  auto t0 = Clock::now();
  cache.put("a", 1, t0);
  EXPECT_EQ(cache.get("a", t0 + 999ms), 1);
  EXPECT_EQ(cache.get("a", t0 + 1001ms), std::nullopt);
  EXPECT_EQ(cache.get("b", t0), std::nullopt);
}

TEST(TtlCache, FullCacheEmptiesInsteadOfGrowing) {
  TtlCache<int> cache(1000ms, 3);
  for (int i = 0; i < 10; ++i) {
    cache.put(fmt::format("k{}", i), i);
    EXPECT_LE(cache.size(), 3u);
  }
  cache.put("k9", 99);  // replacing a present key never empties
  EXPECT_EQ(cache.get("k9"), 99);
}

}  // namespace
}  // namespace unipay::storage
