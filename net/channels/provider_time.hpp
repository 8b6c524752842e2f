// Times as the Chinese providers write them: Beijing time (UTC+8, no daylight saving).
#pragma once

#include <cstdint>
#include <string>

namespace unipay::channels {

// strftime of unix_s shifted to UTC+8, e.g. "%Y-%m-%d %H:%M:%S" (Alipay's timestamp) or
// "%Y-%m-%dT%H:%M:%S+08:00" (WeChat Pay's RFC 3339 time_expire).
std::string format_beijing_time(int64_t unix_s, const char* strftime_format);

}  // namespace unipay::channels
