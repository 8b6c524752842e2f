// The bench's single event loop (one asio io_context run by the calling thread). Asio stays
// behind this interface so that scenario code compiles without the heavy headers; only the
// transport files (http_client.cpp, mini_server.cpp) reach the io_context itself.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace unipay::bench {

using Clock = std::chrono::steady_clock;

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void post(std::function<void()> fn);
  // Runs fn once after the delay (on the loop thread).
  void after(Clock::duration delay, std::function<void()> fn);
  // Calls fn every period until it returns false or the loop is destroyed.
  void every(Clock::duration period, std::function<bool()> fn);

  // Runs handlers until keep_going() is false or the deadline passes; true if stopped by
  // the predicate. The predicate is checked every few milliseconds, so phases stay bounded.
  bool run_while(const std::function<bool()>& keep_going, Clock::time_point deadline);
  // Runs handlers for this long.
  void run_for(Clock::duration d);

  void* native();  // the boost::asio::io_context, for transport .cpp files only

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Seconds since `start` as a double.
inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace unipay::bench
