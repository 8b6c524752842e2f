// net/allocator_stats: /metrics reads the allocator unipayd runs on. net_tests links
// unipayd's allocator (tests/CMakeLists.txt), so this runs on jemalloc in normal builds and
// on the system allocator under the sanitizers.
#include "net/allocator_stats.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace unipay {
namespace {

// Proves the build links the allocator CMake chose (UNIPAY_ALLOCATOR) and that the
// statistics exist exactly under jemalloc.
TEST(AllocatorStats, NamesTheAllocatorTheBuildLinked) {
  EXPECT_EQ(allocator_name(), UNIPAY_EXPECTED_ALLOCATOR);
  EXPECT_EQ(read_allocator_stats().has_value(), allocator_name() == "jemalloc");
}

// Proves the figures are live: a held, touched block of 32 MiB shows in allocated and
// resident, and allocated falls back once it is freed.
TEST(AllocatorStats, FollowsALargeBlock) {
  if (allocator_name() != "jemalloc") GTEST_SKIP() << "no allocator statistics under the system allocator";
  constexpr size_t kBlockBytes = 32u << 20;
  const auto before = read_allocator_stats();
  ASSERT_TRUE(before);
  auto block = std::make_unique<char[]>(kBlockBytes);
  std::memset(block.get(), 1, kBlockBytes);
  const auto held = read_allocator_stats();
  ASSERT_TRUE(held);
  EXPECT_GE(held->allocated_bytes, before->allocated_bytes + kBlockBytes);
  EXPECT_GE(held->active_bytes, held->allocated_bytes);
  EXPECT_GE(held->resident_bytes, held->active_bytes);
  block.reset();
  const auto after = read_allocator_stats();
  ASSERT_TRUE(after);
  EXPECT_LT(after->allocated_bytes, held->allocated_bytes - kBlockBytes / 2);
}

}  // namespace
}  // namespace unipay
