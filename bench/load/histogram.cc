#include "bench/load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace mtedge::bench {

// Range 0 holds [0, 64) exactly; range r >= 1 holds [64 << (r-1), 64 << r) in 64 steps of
// 1 << (r-1).
size_t LatencyHistogram::index_of(uint64_t v) {
  if (v < kSub) return size_t(v);
  const unsigned range = unsigned(std::bit_width(v)) - kSubBits;  // >= 1
  const uint64_t sub = (v >> (range - 1)) - kSub;                 // 0..63
  return size_t(range) * kSub + size_t(sub);
}

uint64_t LatencyHistogram::upper_edge(size_t index) {
  const size_t range = index / kSub;
  const uint64_t sub = index % kSub;
  if (range == 0) return sub;
  return ((kSub + sub + 1) << (range - 1)) - 1;
}

void LatencyHistogram::record(uint64_t nanos) {
  ++buckets_[index_of(nanos)];
  ++count_;
  sum_ += nanos;
  max_ = std::max(max_, nanos);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t rank = std::max<uint64_t>(1, uint64_t(std::ceil(q * double(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(upper_edge(i), max_);
  }
  return max_;
}

}  // namespace mtedge::bench
