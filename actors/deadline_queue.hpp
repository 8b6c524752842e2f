// The deadlines a coarse timer holds (actors/coarse_timer.hpp): entries in due order with a
// fixed capacity, and the grid of ticks they are delivered on. Pure: no actor, no clock.
#pragma once

#include <cassert>
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <utility>
#include <vector>

namespace unipay {

// The first point of the grid of step `tick` (counted from the clock's epoch) at or after
// `due`: where an entry due then is delivered. A step of 0 is no grid.
template <class TimePoint>
TimePoint tick_at_or_after(TimePoint due, typename TimePoint::duration tick) {
  if (tick.count() <= 0) return due;
  auto since_epoch = due.time_since_epoch();
  auto remainder = since_epoch % tick;
  if (remainder.count() == 0) return due;
  return due + (tick - remainder);
}

template <class TimePoint, class Entry>
class DeadlineQueue {
 public:
  explicit DeadlineQueue(size_t capacity) : capacity_(capacity) { assert(capacity > 0); }

  // False when full: the caller schedules the entry some other way.
  bool add(TimePoint due, Entry entry) {
    if (entries_.size() >= capacity_) return false;
    entries_.emplace(due, std::move(entry));
    return true;
  }

  // Removes and returns, in due order, every entry due at or before `now`.
  std::vector<Entry> take_due(TimePoint now) {
    std::vector<Entry> due;
    auto end = entries_.upper_bound(now);
    for (auto it = entries_.begin(); it != end; ++it) due.push_back(std::move(it->second));
    entries_.erase(entries_.begin(), end);
    return due;
  }

  std::optional<TimePoint> earliest() const {
    if (entries_.empty()) return std::nullopt;
    return entries_.begin()->first;
  }

  size_t size() const { return entries_.size(); }

 private:
  size_t capacity_;
  std::multimap<TimePoint, Entry> entries_;  // equal due times keep their insertion order
};

}  // namespace unipay
