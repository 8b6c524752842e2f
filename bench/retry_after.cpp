#include "bench/retry_after.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>

namespace unipay::bench {

namespace {
constexpr int kMaxRetryAfterS = 3600;
}

std::optional<int> parse_retry_after_s(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  int seconds = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) return std::nullopt;
  if (seconds < 0 || seconds > kMaxRetryAfterS) return std::nullopt;
  return seconds;
}

std::chrono::milliseconds retry_wait(int retry_after_s, double spread) {
  assert(retry_after_s >= 0 && spread >= 0.0 && spread < 1.0);
  const double wait_ms = retry_after_s * 1000.0 * (1.0 + spread / 2.0);
  return std::chrono::milliseconds(std::max<long long>(1, static_cast<long long>(wait_ms)));
}

}  // namespace unipay::bench
