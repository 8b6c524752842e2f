// How a bench player honours a busy answer's Retry-After (RFC 9110 §10.2.3), as a real game
// client would: wait the advertised seconds, spread so that the refused players do not all
// come back in the same instant. Pure, tested in tests/bench/retry_after_test.cpp.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace unipay::bench {

// The delay-seconds form only (unipay never sends an HTTP-date). Nothing, for an absent,
// negative, non-numeric or absurd (> 1 hour) value.
std::optional<int> parse_retry_after_s(std::string_view value);

// The wait before trying again: retry_after_s scaled by 1 + spread / 2, spread in [0, 1)
// (the caller's random draw), so waits fall evenly in [s, 1.5 s). At least 1 ms.
std::chrono::milliseconds retry_wait(int retry_after_s, double spread);

}  // namespace unipay::bench
