#include "bench/node_usage.hpp"

#include <fmt/format.h>

namespace unipay::bench {

std::vector<std::string> node_usage_notes(const std::vector<NodeSample>& before,
                                          const std::vector<NodeSample>& after, double wall_s) {
  std::vector<std::string> notes;
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
    const NodeSample& b = before[i];
    const NodeSample& a = after[i];
    if (b.cpu_s < 0 || a.cpu_s < 0) {
      notes.push_back(
          fmt::format("node pid {}: not running at the {} of the run", b.pid, b.cpu_s < 0 ? "start" : "end"));
      continue;
    }
    const double cpu_s = a.cpu_s - b.cpu_s;
    std::string note = fmt::format("node pid {}: {:.2f} CPU s", b.pid, cpu_s);
    if (wall_s > 0) note += fmt::format(" ({:.0f}% of a core) over {:.1f} s", 100.0 * cpu_s / wall_s, wall_s);
    if (a.rss_kib >= 0) note += fmt::format(", RSS {:.1f} MiB", static_cast<double>(a.rss_kib) / 1024.0);
    notes.push_back(std::move(note));
  }
  return notes;
}

}  // namespace unipay::bench
