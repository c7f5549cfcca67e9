#include "codecs/obfuscated/replay_cache.h"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace mtedge::codecs::obfuscated {
namespace {

// Digests are already uniformly random (key material or an HMAC), so a slice is a hash.
struct DigestHash {
  size_t operator()(const ReplayDigest& d) const {
    uint64_t v;
    std::memcpy(&v, d.data() + 8, sizeof v);
    return size_t(v);
  }
};

}  // namespace

struct ReplayCache::Shard {
  struct Entry {
    ReplayDigest digest;
    int64_t seen;
  };
  std::mutex mutex;
  std::unordered_map<ReplayDigest, int64_t, DigestHash> seen;  // digest -> last insert time
  std::deque<Entry> order;                                     // insertion order
};

ReplayCache::ReplayCache(ReplayCacheOptions options) : options_(options) {
  if (options_.shards == 0) options_.shards = 1;
  if (options_.max_entries < options_.shards) options_.max_entries = options_.shards;
  per_shard_max_ = options_.max_entries / options_.shards;
  shards_ = std::make_unique<Shard[]>(options_.shards);
}

ReplayCache::~ReplayCache() = default;

ReplayCache::Shard& ReplayCache::shard_for(const ReplayDigest& digest) {
  uint64_t v;
  std::memcpy(&v, digest.data(), sizeof v);
  return shards_[v % options_.shards];
}

bool ReplayCache::check_and_insert(const ReplayDigest& digest, int64_t now) {
  Shard& shard = shard_for(digest);
  std::lock_guard lock(shard.mutex);
  const int64_t oldest_kept = now - options_.window_seconds;
  // Evict what aged out, and the oldest beyond the bound (the one about to be added counts).
  // An order entry whose digest was re-inserted later is stale: drop it without touching
  // the map's newer time.
  auto evict_front = [&shard] {
    const Shard::Entry& e = shard.order.front();
    auto it = shard.seen.find(e.digest);
    if (it != shard.seen.end() && it->second == e.seen) shard.seen.erase(it);
    shard.order.pop_front();
  };
  while (!shard.order.empty() && shard.order.front().seen <= oldest_kept) evict_front();
  while (!shard.order.empty() && shard.seen.size() >= per_shard_max_) evict_front();

  auto [it, inserted] = shard.seen.try_emplace(digest, now);
  if (!inserted) {
    if (it->second > oldest_kept) return false;  // seen within the window: a replay
    it->second = now;                            // expired but not yet evicted: renew
  }
  shard.order.push_back({digest, now});
  // Stale order entries (renewals) are bounded by the map size; keep the deque in check.
  while (shard.order.size() > 2 * per_shard_max_ + 1) evict_front();
  return true;
}

size_t ReplayCache::size() const {
  size_t total = 0;
  for (size_t i = 0; i < options_.shards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].seen.size();
  }
  return total;
}

ReplayDigest init_replay_digest(ByteView init64) {
  assert(init64.size() >= 24);
  ReplayDigest d;
  std::memcpy(d.data(), init64.data() + 8, d.size());
  return d;
}

ReplayDigest client_random_replay_digest(ByteView random) {
  assert(random.size() >= 16);
  ReplayDigest d;
  std::memcpy(d.data(), random.data(), d.size());
  return d;
}

}  // namespace mtedge::codecs::obfuscated
