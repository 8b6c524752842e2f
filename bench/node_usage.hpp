// Per-node figures when the bench drives several unipayd nodes through a load balancer
// (--target at the balancer, one --server-pid per node): each node's CPU and RSS over the
// run, so an uneven balance or one saturated node shows in the report.
#pragma once

#include <string>
#include <vector>

namespace unipay::bench {

struct NodeSample {
  int pid = 0;
  double cpu_s = -1;  // process CPU seconds so far; -1: unknown (the process is gone)
  long rss_kib = -1;  // -1: unknown
};

// One report note per node, e.g. "node pid 4242: 3.10 CPU s (62% of a core) over 5.0 s,
// RSS 81.2 MiB"; a node that died during the run says so. Pure: `before` and `after` are
// samples of the same pids, in the same order.
std::vector<std::string> node_usage_notes(const std::vector<NodeSample>& before,
                                          const std::vector<NodeSample>& after, double wall_s);

}  // namespace unipay::bench
