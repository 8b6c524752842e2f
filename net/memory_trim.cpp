#include "net/memory_trim.hpp"

#include <malloc.h>

namespace unipay {

MemoryTrimmer::MemoryTrimmer(std::chrono::milliseconds interval) : interval_(interval) {
  if (interval_.count() > 0) thread_ = std::thread([this] { run(); });
}

MemoryTrimmer::~MemoryTrimmer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// A thread of its own: a trim of a large heap takes milliseconds, which must not hold up
// an io thread or an actor.
void MemoryTrimmer::run() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    ::malloc_trim(0);
    lock.lock();
  }
}

}  // namespace unipay
