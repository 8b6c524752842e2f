#include "actors/bill_id.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

namespace unipay {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::string_view kPrefix = "b_";
constexpr size_t kEncodedChars = 26;  // 130 bits of base32 hold 48 + 80 bits
constexpr int64_t kMaxTimeMs = (int64_t{1} << 48) - 1;

using Uint128 = unsigned __int128;
constexpr Uint128 kRandomMax = (Uint128{1} << 80) - 1;

uint64_t clamp_time(Millis time) {
  return static_cast<uint64_t>(std::clamp<int64_t>(time.time_since_epoch().count(), 0, kMaxTimeMs));
}

std::string encode(uint64_t time_ms, Uint128 random) {
  Uint128 value = (Uint128{time_ms} << 80) | (random & kRandomMax);
  std::string out(kPrefix.size() + kEncodedChars, '0');
  std::copy(kPrefix.begin(), kPrefix.end(), out.begin());
  // Big-endian, 5 bits per character: fixed width, so string order is numeric order.
  for (size_t i = out.size(); i > kPrefix.size(); --i) {
    out[i - 1] = kCrockford[static_cast<size_t>(value & 31)];
    value >>= 5;
  }
  return out;
}

Uint128 fresh_random() {
  unsigned char bytes[10];
  // Without a working generator ids of concurrent nodes could collide: stop instead.
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();
  Uint128 value = 0;
  for (unsigned char byte : bytes) value = (value << 8) | byte;
  return value;
}

// Process-wide id state. A mutex (not an actor) because this is an id generator shared
// by every bill creation path, not domain state; the critical section is a few ns.
struct MonotonicState {
  std::mutex mutex;
  bool started = false;
  uint64_t last_ms = 0;
  Uint128 random = 0;
};

}  // namespace

std::string make_bill_id(Millis now) {
  static MonotonicState state;
  const uint64_t now_ms = clamp_time(now);
  std::lock_guard lock(state.mutex);
  if (!state.started || now_ms > state.last_ms) {
    state.started = true;
    state.last_ms = now_ms;
    state.random = fresh_random();
  } else if (state.random < kRandomMax) {
    // Same millisecond, or the clock stepped back: keep the last time and count up, so
    // every id sorts after the previous one.
    ++state.random;
  } else {
    // 80 bits exhausted within one millisecond (practically never): borrow the next one.
    // At the 48-bit end of time (year 10889) the time saturates instead.
    state.last_ms = std::min<uint64_t>(state.last_ms + 1, kMaxTimeMs);
    state.random = fresh_random();
  }
  return encode(state.last_ms, state.random);
}

std::string encode_bill_id(Millis time, uint16_t random_high, uint64_t random_low) {
  return encode(clamp_time(time), (Uint128{random_high} << 64) | random_low);
}

bool looks_like_bill_id(std::string_view text) {
  if (text.size() != kPrefix.size() + kEncodedChars || !text.starts_with(kPrefix)) return false;
  // Upper case only: ids are made upper case, and one spelling per id keeps lookups exact.
  return text.substr(kPrefix.size()).find_first_not_of(kCrockford) == std::string_view::npos;
}

}  // namespace unipay
