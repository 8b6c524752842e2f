// A reply callback that runs exactly once. If every copy is destroyed before it ran (the
// message was dropped because its actor stopped, or a bug lost it), it runs with
// `server_busy`, so an HTTP request can never wait forever on a lost message.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <utility>

#include "config/result.hpp"

namespace unipay {

inline constexpr const char* kDroppedMessage = "request dropped before an actor answered it";

template <class T>
class Reply {
 public:
  using Fn = std::function<void(Result<T>)>;

  Reply() = default;
  explicit Reply(Fn fn) : state_(std::make_shared<State>(std::move(fn))) {}

  // Runs the callback unless it already ran.
  void operator()(Result<T> result) const {
    if (state_ && !state_->done.exchange(true)) state_->fn(std::move(result));
  }
  bool valid() const { return state_ != nullptr; }

 private:
  struct State {
    explicit State(Fn f) : fn(std::move(f)) {}
    ~State() {
      if (!done.load() && fn) fn(make_error(Errc::server_busy, kDroppedMessage));
    }
    Fn fn;
    std::atomic<bool> done{false};
  };
  std::shared_ptr<State> state_;
};

// True for the error a dropped Reply produces: safe to resend, nothing was done.
inline bool is_dropped(const Error& e) { return e.code == Errc::server_busy && e.message == kDroppedMessage; }

}  // namespace unipay
