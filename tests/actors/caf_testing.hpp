// What the actor tests share: a CAF system run by the deterministic test coordinator (the
// test drives every message with sched.run()), quiet logs, and a Reply<T> whose answer the
// test reads afterwards.
#pragma once

#include <caf/all.hpp>
#include <memory>
#include <optional>
#include <utility>

#include "actors/reply.hpp"
#include "config/result.hpp"

namespace unipay {

inline caf::actor_system_config& testing_config(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  return cfg;
}

// The answer a Reply<T> received, if any.
template <class T>
using Answer = std::shared_ptr<std::optional<Result<T>>>;

template <class T>
std::pair<Reply<T>, Answer<T>> capture() {
  auto answer = std::make_shared<std::optional<Result<T>>>();
  return {Reply<T>([answer](Result<T> r) { answer->emplace(std::move(r)); }), answer};
}

}  // namespace unipay
