// Process-wide admission state the workers share (docs/operations.md "Admission"):
// open connections per source (IPv4 address, IPv6 /64) and the bytes buffered for clients.
// Thread-safe; one instance per Gateway.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "gateway/runtime/address.h"

namespace mtedge::gateway {

class SourceCounts {
 public:
  // Counts one more connection from `source`, unless it already has `cap`: false then.
  bool try_add(const SourceBucket& source, uint64_t cap);
  // One connection counted by try_add() closed.
  void remove(const SourceBucket& source);
  uint64_t count(const SourceBucket& source) const;

 private:
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<SourceBucket, uint64_t, SourceBucketHash> counts;
  };
  Shard& shard(const SourceBucket& source) {
    return shards_[SourceBucketHash{}(source) % shards_.size()];
  }
  const Shard& shard(const SourceBucket& source) const {
    return shards_[SourceBucketHash{}(source) % shards_.size()];
  }
  std::array<Shard, 16> shards_;
};

// Loopback sources (127.0.0.0/8, ::1) are counted only with gateway.limit_loopback_sources:
// a local balancer or test client is one "source" for every client behind it.
inline bool source_is_limited(const SourceBucket& source, bool limit_loopback) {
  if (limit_loopback) return true;
  if (source.family == AF_INET) return (source.prefix >> 24) != 127;
  return !(source.family == AF_INET6 && source.prefix == 0);  // ::/64 holds ::1
}

// The bytes every worker buffers for clients, published in steps of kStep per worker so the
// shared counter is touched rarely; the total is exact to workers x kStep.
class MemoryAccount {
 public:
  static constexpr int64_t kStep = 64 << 10;
  // Per worker (single writer): adds `delta` and publishes once a step has gathered.
  struct Local {
    int64_t unpublished = 0;
  };
  void add(Local& local, int64_t delta) {
    local.unpublished += delta;
    if (local.unpublished >= kStep || local.unpublished <= -kStep) {
      total_.fetch_add(local.unpublished, std::memory_order_relaxed);
      local.unpublished = 0;
    }
  }
  int64_t total(const Local& local) const {
    return total_.load(std::memory_order_relaxed) + local.unpublished;
  }

 private:
  std::atomic<int64_t> total_{0};
};

}  // namespace mtedge::gateway
