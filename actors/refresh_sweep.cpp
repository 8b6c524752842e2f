#include "actors/refresh_sweep.hpp"

#include <algorithm>
#include <cassert>

namespace unipay {

RefreshSweep::RefreshSweep(RefreshSweepLimits limits) : limits_(limits) {
  assert(limits_.batch_bills > 0);  // validated with the config
}

void RefreshSweep::start(std::vector<std::string> bill_ids) {
  bill_ids_ = std::move(bill_ids);
  next_ = 0;
  failures_ = 0;
  ++generation_;
}

std::span<const std::string> RefreshSweep::batch() const {
  if (done()) return {};
  const size_t size = std::min(limits_.batch_bills, bill_ids_.size() - next_);
  return std::span<const std::string>(bill_ids_).subspan(next_, size);
}

void RefreshSweep::batch_read() {
  next_ = std::min(bill_ids_.size(), next_ + limits_.batch_bills);
  failures_ = 0;
}

bool RefreshSweep::batch_failed() {
  if (++failures_ <= limits_.retries) return true;
  batch_read();
  return false;
}

std::chrono::milliseconds RefreshSweep::pause() const {
  if (limits_.batches_per_s == 0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(1000 / std::max<size_t>(limits_.batches_per_s, 1));
}

}  // namespace unipay
