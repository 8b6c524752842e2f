#include "net/suspect_sources.hpp"

namespace unipay {
namespace {

constexpr auto kWindow = std::chrono::seconds(1);

}  // namespace

bool SuspectSources::shut_out(const std::string& source, Clock::time_point now) const {
  auto it = sources_.find(source);
  return it != sources_.end() && now < it->second.shut_until && now >= it->second.trusted_until;
}

bool SuspectSources::refused(const std::string& source, Clock::time_point now) {
  Source* s = find_or_track(source, now);
  if (s == nullptr || now < s->shut_until) return false;
  if (now - s->window_start >= kWindow) {
    s->window_start = now;
    s->refusals = 0;
  }
  s->refusals += 1;
  if (s->refusals <= limits_.refusals_per_s || now < s->trusted_until) return false;
  s->shut_until = now + limits_.shut_out_ms;
  s->refusals = 0;  // counted again from scratch once the shut-out ends
  s->window_start = s->shut_until;
  return true;
}

void SuspectSources::verified(const std::string& source, Clock::time_point now) {
  Source* s = find_or_track(source, now);
  if (s == nullptr) return;
  s->trusted_until = now + limits_.trust_ms;
  s->shut_until = {};
}

SuspectSources::Source* SuspectSources::find_or_track(const std::string& source, Clock::time_point now) {
  auto it = sources_.find(source);
  if (it != sources_.end()) return &it->second;
  if (sources_.size() >= limits_.max_tracked && now - swept_at_ >= kWindow) forget_idle(now);
  // Still full: every tracked source is shut out or trusted right now. The newcomer goes
  // untracked (served normally; the audit limiter still bounds what it costs).
  if (sources_.size() >= limits_.max_tracked) return nullptr;
  Source fresh;
  fresh.window_start = now;
  return &sources_.emplace(source, fresh).first->second;
}

// Sources neither shut out nor trusted nor in their current window carry no state worth
// keeping. A full sweep, only when the table is full and at most once a second, so a
// flood from more addresses than max_tracked costs one sweep a second, not one per request.
void SuspectSources::forget_idle(Clock::time_point now) {
  swept_at_ = now;
  for (auto it = sources_.begin(); it != sources_.end();) {
    const Source& s = it->second;
    const bool idle = now >= s.shut_until && now >= s.trusted_until && now - s.window_start >= kWindow;
    it = idle ? sources_.erase(it) : std::next(it);
  }
}

}  // namespace unipay
