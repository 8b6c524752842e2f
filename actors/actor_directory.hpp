// Live child actors by key (bill id), forgotten when their down message arrives. Used by the
// bill registry and the delivery dispatcher; owned by one actor, so no locking.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <string>
#include <unordered_map>

namespace unipay {

class ActorDirectory {
 public:
  // The actor under `key`, or nullptr.
  const caf::actor* find(const std::string& key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : &it->second;
  }
  bool contains(const std::string& key) const { return by_key_.count(key) != 0; }
  size_t size() const { return by_key_.size(); }

  // The owner monitors `actor` and calls forget() from its down handler.
  void add(const std::string& key, caf::actor actor) {
    keys_.emplace(actor.address(), key);
    by_key_.emplace(key, std::move(actor));
  }

  void forget(const caf::actor_addr& source) {
    auto it = keys_.find(source);
    if (it == keys_.end()) return;
    by_key_.erase(it->second);
    keys_.erase(it);
  }

  // Asks every child to stop: called from the owner's on_exit, so that stopping the owner
  // at shutdown stops its children too (they hold the runtime's objects through the context).
  void exit_all() const {
    for (const auto& [key, actor] : by_key_) caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  }

  template <class F>
  void for_each(F&& f) const {
    for (const auto& [key, actor] : by_key_) f(key, actor);
  }

 private:
  std::unordered_map<std::string, caf::actor> by_key_;
  std::unordered_map<caf::actor_addr, std::string> keys_;
};

}  // namespace unipay
