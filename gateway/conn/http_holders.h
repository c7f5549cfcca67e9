// Which HTTP connections hold a waiting request, by auth_key_id, across every worker: the
// gateway's routing of MTProto-over-HTTP answers by auth key (docs/codecs/http.md
// "Routing by auth key"). Thread-safe (sharded mutexes); one instance per Gateway.
//
// Contract:
// - A connection holds under at most one auth_key_id at a time (the key of its latest
//   request); the caller releases before it holds under another key, and when its last
//   waiting request is answered or it closes.
// - longest() returns the connection that has held longest under `auth_key_id` (the oldest
//   hold() still not released), skipping `except`.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "backend-adapters/api/frame.h"

namespace mtedge::gateway {

class HttpHolders {
 public:
  void hold(uint64_t auth_key_id, backend::ConnId conn);
  void release(uint64_t auth_key_id, backend::ConnId conn);
  std::optional<backend::ConnId> longest(uint64_t auth_key_id, backend::ConnId except) const;
  // Auth keys with at least one holder (for tests).
  size_t keys() const;

 private:
  struct Shard {
    mutable std::mutex mu;
    // Holders in the order they started holding; a handful per key.
    std::unordered_map<uint64_t, std::vector<backend::ConnId>> holders;
  };
  Shard& shard(uint64_t auth_key_id) { return shards_[auth_key_id % shards_.size()]; }
  const Shard& shard(uint64_t auth_key_id) const { return shards_[auth_key_id % shards_.size()]; }

  std::array<Shard, 16> shards_;
};

}  // namespace mtedge::gateway
