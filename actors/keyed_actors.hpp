// The keyed-actor machinery shared by the bill registry and the wallet registry: one live
// child actor per key (a bill id, an account), spawned on demand up to a configured limit,
// monitored and forgotten when it stops; and the idle clock each such child uses to stop
// itself when nothing happened for a while (the registry then spawns a fresh one that
// re-reads its row). Owned by one actor, so no locking. Include only from actors/*.cpp.
#pragma once

#include <caf/event_based_actor.hpp>
#include <chrono>
#include <functional>
#include <string>

#include "actors/actor_directory.hpp"

namespace unipay {

class KeyedActors {
 public:
  using Spawn = std::function<caf::actor(const std::string& key)>;

  // `owner` monitors every child and calls forget() from its down handler.
  KeyedActors(caf::event_based_actor* owner, size_t max_live, Spawn spawn)
      : owner_(owner), max_live_(max_live), spawn_(std::move(spawn)) {}

  const caf::actor* find(const std::string& key) const { return live_.find(key); }
  bool contains(const std::string& key) const { return live_.contains(key); }
  bool full() const { return live_.size() >= max_live_; }
  size_t size() const { return live_.size(); }

  // The live actor of `key`, or a new one; nullptr when none is live and the limit is reached.
  const caf::actor* find_or_spawn(const std::string& key) {
    if (const caf::actor* live = live_.find(key)) return live;
    if (full()) return nullptr;
    return &adopt(key);
  }

  // A new actor for `key`, which must not be live; the caller checked full().
  const caf::actor& adopt(const std::string& key) {
    caf::actor actor = spawn_(key);
    owner_->monitor(actor);
    live_.add(key, actor);
    return *live_.find(key);
  }

  void forget(const caf::actor_addr& source) { live_.forget(source); }
  void exit_all() const { live_.exit_all(); }

  template <class F>
  void for_each(F&& f) const {
    live_.for_each(std::forward<F>(f));
  }

 private:
  caf::event_based_actor* owner_;
  size_t max_live_;
  Spawn spawn_;
  ActorDirectory live_;
};

// When a keyed child last did something: it stops itself once idle_for(limit) while it has
// nothing in flight, so live actors do not pile up.
class IdleClock {
 public:
  void touch() { last_activity_ = std::chrono::steady_clock::now(); }
  bool idle_for(std::chrono::milliseconds limit) const {
    return std::chrono::steady_clock::now() - last_activity_ >= limit;
  }

 private:
  std::chrono::steady_clock::time_point last_activity_ = std::chrono::steady_clock::now();
};

}  // namespace unipay
