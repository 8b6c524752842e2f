#include "bench/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace unipay::bench {

namespace {
constexpr int kExactBits = 6;    // values below 64 µs get a bucket each
constexpr int kSubBuckets = 32;  // per power of two above that
constexpr int kExact = 1 << kExactBits;
}  // namespace

int Histogram::bucket_of(int64_t micros) {
  if (micros < 0) micros = 0;
  auto v = static_cast<uint64_t>(micros);
  int bits = std::bit_width(v);
  if (bits <= kExactBits) return static_cast<int>(v);
  int shift = bits - kExactBits;
  int sub = static_cast<int>(v >> shift);  // in [32, 63]
  int index = kExact + (bits - kExactBits - 1) * kSubBuckets + (sub - kSubBuckets);
  return std::min(index, kBuckets - 1);
}

int64_t Histogram::bucket_high(int index) {
  if (index < kExact) return index;
  int rel = index - kExact;
  int bits = rel / kSubBuckets + kExactBits + 1;
  int64_t sub = rel % kSubBuckets + kSubBuckets;
  int shift = bits - kExactBits;
  return ((sub + 1) << shift) - 1;
}

void Histogram::record_us(int64_t micros) {
  buckets_[static_cast<size_t>(bucket_of(micros))] += 1;
  count_ += 1;
  sum_ += std::max<int64_t>(micros, 0);
  max_ = std::max(max_, micros);
}

void Histogram::merge(const Histogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

void Histogram::subtract(const Histogram& earlier) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] -= std::min(buckets_[i], earlier.buckets_[i]);
  count_ -= std::min(count_, earlier.count_);
  sum_ -= std::min(sum_, earlier.sum_);
}

void Histogram::reset() { *this = Histogram(); }

int64_t Histogram::quantile_us(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the sample at quantile q (1-based), as HDR histograms count it.
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(bucket_high(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace unipay::bench
