// A latency histogram in the HdrHistogram style: log-linear buckets, fixed memory, O(1)
// record. Values are nanoseconds; each power-of-two range is split into 64 linear
// sub-buckets, so a reported percentile is within 1/64 (~1.6 %) of the true value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace mtedge::bench {

class LatencyHistogram {
 public:
  void record(uint64_t nanos);
  void merge(const LatencyHistogram& other);
  void reset() { *this = LatencyHistogram(); }

  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? double(sum_) / double(count_) : 0.0; }
  // The value at quantile q in [0, 1] (the upper edge of its bucket, capped at max()); 0 if
  // nothing was recorded.
  uint64_t quantile(double q) const;

 private:
  static constexpr unsigned kSubBits = 6;  // 64 sub-buckets per power of two
  static constexpr unsigned kSub = 1u << kSubBits;
  static constexpr unsigned kRanges = 64 - kSubBits + 1;
  static size_t index_of(uint64_t v);
  static uint64_t upper_edge(size_t index);

  std::array<uint64_t, kRanges * kSub> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t max_ = 0;
};

}  // namespace mtedge::bench
