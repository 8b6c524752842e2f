// A small read cache with a time to live, one instance per thread (thread_local at the use
// site), so no lock is needed and no thread waits for another. Bounded: when full it is
// emptied, which only costs re-reads. Holds copies of rows, never the source of truth.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

namespace unipay::storage {

template <class V>
class TtlCache {
 public:
  using Clock = std::chrono::steady_clock;

  TtlCache(std::chrono::milliseconds ttl, size_t max_entries) : ttl_(ttl), max_entries_(max_entries) {}

  std::optional<V> get(const std::string& key, Clock::time_point now = Clock::now()) const {
    auto it = entries_.find(key);
    if (it == entries_.end() || now - it->second.stored_at > ttl_) return std::nullopt;
    return it->second.value;
  }

  void put(const std::string& key, V value, Clock::time_point now = Clock::now()) {
    if (entries_.size() >= max_entries_ && entries_.count(key) == 0) entries_.clear();
    entries_[key] = Entry{std::move(value), now};
  }

  void erase(const std::string& key) { entries_.erase(key); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    V value;
    Clock::time_point stored_at;
  };
  std::chrono::milliseconds ttl_;
  size_t max_entries_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace unipay::storage
