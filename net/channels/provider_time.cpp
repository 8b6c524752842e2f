#include "net/channels/provider_time.hpp"

#include <ctime>

namespace unipay::channels {

std::string format_beijing_time(int64_t unix_s, const char* strftime_format) {
  constexpr int64_t kBeijingOffsetS = 8 * 3600;
  const std::time_t t = static_cast<std::time_t>(unix_s + kBeijingOffsetS);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const size_t size = std::strftime(buf, sizeof buf, strftime_format, &tm);
  return std::string(buf, size);
}

}  // namespace unipay::channels
