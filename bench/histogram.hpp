// Log-linear latency histogram (HDR-style): exact below 64 µs, then 32 linear sub-buckets
// per power of two, so every recorded value is known within about 3% at any magnitude with
// a fixed, small footprint (no per-sample storage, so a 60 s run at 20k/s costs nothing).
#pragma once

#include <array>
#include <cstdint>

namespace unipay::bench {

class Histogram {
 public:
  static constexpr int kBuckets = 1216;  // covers up to 2^42 µs

  void record_us(int64_t micros);
  void merge(const Histogram& other);
  // Removes what `earlier` (a copy of this histogram taken before) holds: what was recorded
  // since. The maximum stays the overall one (a bound for the part).
  void subtract(const Histogram& earlier);
  void reset();

  uint64_t count() const { return count_; }
  int64_t max_us() const { return max_; }
  double mean_us() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // The value at quantile q in [0, 1] (the highest value of its bucket, clipped to max).
  int64_t quantile_us(double q) const;

  static int bucket_of(int64_t micros);
  static int64_t bucket_high(int index);

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  int64_t sum_ = 0;
  int64_t max_ = 0;
};

}  // namespace unipay::bench
