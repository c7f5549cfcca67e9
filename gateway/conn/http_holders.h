// Which HTTP connections hold a waiting request, by auth_key_id, across every worker: the
// gateway's routing of MTProto-over-HTTP answers by auth key (docs/codecs/http.md
// "Routing by auth key"). Thread-safe (sharded mutexes); one instance per Gateway.
//
// With edge decryption off the auth_key_id is whatever the client wrote: the key then also
// names the client's source (HoldKey::source), so a connection from elsewhere that claims a
// victim's auth_key_id never receives the victim's packets.
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
#include "gateway/runtime/address.h"

namespace mtedge::gateway {

struct HoldKey {
  uint64_t auth_key_id = 0;
  SourceBucket source;  // unknown (family 0) when the key is verified (edge decryption)
  bool operator==(const HoldKey&) const = default;
};

class HttpHolders {
 public:
  void hold(const HoldKey& key, backend::ConnId conn);
  void release(const HoldKey& key, backend::ConnId conn);
  std::optional<backend::ConnId> longest(const HoldKey& key, backend::ConnId except) const;
  // Auth keys with at least one holder (for tests).
  size_t keys() const;

 private:
  struct KeyHash {
    size_t operator()(const HoldKey& k) const {
      const SourceBucketHash source_hash;
      return k.auth_key_id ^ source_hash(k.source);
    }
  };
  struct Shard {
    mutable std::mutex mu;
    // Holders in the order they started holding; a handful per key.
    std::unordered_map<HoldKey, std::vector<backend::ConnId>, KeyHash> holders;
  };
  Shard& shard(const HoldKey& key) { return shards_[key.auth_key_id % shards_.size()]; }
  const Shard& shard(const HoldKey& key) const { return shards_[key.auth_key_id % shards_.size()]; }

  std::array<Shard, 16> shards_;
};

}  // namespace mtedge::gateway
