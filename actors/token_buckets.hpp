// Token buckets keyed by a string (a remote address, an app id): each key may pass `burst`
// times at once and `rate_per_s` times per second after that. Pure and single-threaded:
// one actor owns an instance; time is passed in, so tests drive it exactly.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace unipay {

struct TokenBucketLimits {
  int64_t rate_per_s = 10;  // tokens added per second (>= 1)
  int64_t burst = 20;       // bucket size: passes allowed at once (>= 1)
  size_t max_keys = 10000;  // keys tracked at once (>= 1)
};

class TokenBuckets {
 public:
  using Clock = std::chrono::steady_clock;

  explicit TokenBuckets(TokenBucketLimits limits);

  // Takes one token from the key's bucket (a new key starts full). False: none left.
  bool take(const std::string& key, Clock::time_point now);
  size_t keys() const { return buckets_.size(); }

 private:
  struct Bucket {
    int64_t milli_tokens = 0;  // thousandths of a token, so slow rates refill smoothly
    Clock::time_point refilled_at;
  };
  void refill(Bucket& bucket, Clock::time_point now) const;
  void make_room(Clock::time_point now);

  TokenBucketLimits limits_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace unipay
