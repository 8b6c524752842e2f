// Gives freed heap memory back to the system on a timer. glibc keeps what a burst freed
// (per-thread arenas, pages in the middle of the heap) for reuse, so after an overload
// the RSS would stay at its peak for good; malloc_trim(0) returns the free pages.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace unipay {

class MemoryTrimmer {
 public:
  // interval 0: does nothing.
  explicit MemoryTrimmer(std::chrono::milliseconds interval);
  ~MemoryTrimmer();  // stops and joins the thread
  MemoryTrimmer(const MemoryTrimmer&) = delete;
  MemoryTrimmer& operator=(const MemoryTrimmer&) = delete;

 private:
  void run();

  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;     // last: starts after every member above exists
};

}  // namespace unipay
