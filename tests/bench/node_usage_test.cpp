// bench/node_usage: the per-node notes the bench prints with several --server-pid.
#include "bench/node_usage.hpp"

#include <gtest/gtest.h>

namespace unipay::bench {
namespace {

// Proves each node gets its own note with the CPU used between the two samples, its share
// of one core over the run and its RSS at the end, in the order the pids were given.
TEST(NodeUsage, OneNotePerNodeWithCpuShareAndRss) {
  const std::vector<NodeSample> before{{101, 1.0, 50 * 1024}, {102, 2.0, 60 * 1024}};
  const std::vector<NodeSample> after{{101, 3.5, 80 * 1024}, {102, 2.5, 61 * 1024}};
  const auto notes = node_usage_notes(before, after, 5.0);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0], "node pid 101: 2.50 CPU s (50% of a core) over 5.0 s, RSS 80.0 MiB");
  EXPECT_EQ(notes[1], "node pid 102: 0.50 CPU s (10% of a core) over 5.0 s, RSS 61.0 MiB");
}

// Proves a node killed during the run (a failover test) is reported as gone, not as a
// negative or made-up CPU figure.
TEST(NodeUsage, NodeGoneDuringTheRunIsSaidSo) {
  const auto notes = node_usage_notes({{7, 1.0, 100}}, {{7, -1, -1}}, 2.0);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0], "node pid 7: not running at the end of the run");
}

}  // namespace
}  // namespace unipay::bench
