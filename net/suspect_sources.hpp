// Remote addresses that send nothing but refused provider callbacks (unknown app, bad
// signature, malformed app id) are shut out for a while: their callbacks are then answered
// 429 busy at once, before the body is hashed, the app looked up or a signature computed,
// with no log line and no audit row (both counted in /metrics instead). A forger then costs
// the server only the HTTP exchange. A source that had a callback verified within trust_ms
// is never shut out: a provider's address (or a proxy's, which carries everybody's traffic)
// keeps being served even while one app's secret is misconfigured. A real provider that is
// shut out anyway (its first valid callback after a run of refusals) gets 429, which every
// provider retries; nothing is lost. Pure and single-threaded: each io thread keeps one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

namespace unipay {

struct SuspectSourceLimits {
  int64_t refusals_per_s = 50;                   // refused callbacks per source per second before...
  std::chrono::milliseconds shut_out_ms{10000};  // ...its callbacks are refused unread this long
  std::chrono::milliseconds trust_ms{60000};     // a verified callback exempts its source this long
  size_t max_tracked = 10000;                    // sources tracked at once; beyond: not shut out
};

class SuspectSources {
 public:
  using Clock = std::chrono::steady_clock;

  explicit SuspectSources(SuspectSourceLimits limits) : limits_(limits) {}

  // True: answer this source's callback 429 without looking at it.
  bool shut_out(const std::string& source, Clock::time_point now) const;
  // A callback from `source` was refused before its signature verified. True when this
  // refusal starts a shut-out (not for late refusals of requests already under way).
  bool refused(const std::string& source, Clock::time_point now);
  // A callback from `source` verified.
  void verified(const std::string& source, Clock::time_point now);
  size_t tracked() const { return sources_.size(); }

 private:
  struct Source {
    Clock::time_point window_start;  // a one-second window of refusals
    int64_t refusals = 0;            // in that window
    Clock::time_point shut_until;    // epoch: not shut out
    Clock::time_point trusted_until;
  };
  Source* find_or_track(const std::string& source, Clock::time_point now);
  void forget_idle(Clock::time_point now);

  SuspectSourceLimits limits_;
  std::unordered_map<std::string, Source> sources_;
  Clock::time_point swept_at_;  // the last forget_idle
};

}  // namespace unipay
