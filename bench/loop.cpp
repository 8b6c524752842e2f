#include "bench/loop.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace unipay::bench {

namespace asio = boost::asio;

// How often run_while() looks at its predicate: short enough that a phase ends promptly,
// long enough that the check costs nothing next to the handlers.
constexpr auto kSlice = std::chrono::milliseconds(5);

struct Loop::Impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
};

// A periodic timer that keeps itself alive through its pending wait; it stops when its
// function returns false or when the io_context is destroyed with the wait pending.
struct Ticker : std::enable_shared_from_this<Ticker> {
  Ticker(asio::io_context& io, Clock::duration p, std::function<bool()> f)
      : timer(io), period(p), fn(std::move(f)) {}
  void arm(Clock::time_point from) {
    timer.expires_at(from + period);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || !self->fn()) return;
      self->arm(self->timer.expiry());
    });
  }
  asio::steady_timer timer;
  Clock::duration period;
  std::function<bool()> fn;
};

Loop::Loop() : impl_(std::make_unique<Impl>()) {}

Loop::~Loop() = default;

void Loop::post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

void Loop::after(Clock::duration delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->io, delay);
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

void Loop::every(Clock::duration period, std::function<bool()> fn) {
  auto ticker = std::make_shared<Ticker>(impl_->io, period, std::move(fn));
  ticker->arm(Clock::now());
}

bool Loop::run_while(const std::function<bool()>& keep_going, Clock::time_point deadline) {
  while (keep_going()) {
    auto now = Clock::now();
    if (now >= deadline) return false;
    impl_->io.run_for(std::min<Clock::duration>(kSlice, deadline - now));
  }
  return true;
}

void Loop::run_for(Clock::duration d) {
  auto deadline = Clock::now() + d;
  run_while([] { return true; }, deadline);
}

void* Loop::native() { return &impl_->io; }

}  // namespace unipay::bench
