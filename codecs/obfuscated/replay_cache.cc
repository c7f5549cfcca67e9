#include "codecs/obfuscated/replay_cache.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <mutex>
#include <random>
#include <vector>

#include "base/mix64.h"

namespace mtedge::codecs::obfuscated {
namespace {

uint64_t random_hash_key() {
  std::random_device device;
  uint64_t key = 0;
  while (key == 0) key = uint64_t(device()) << 32 | device();
  return key;
}

// Ring positions are stored in the index as uint32_t (position + 1).
constexpr size_t kMaxPerShard = size_t{1} << 31;
constexpr size_t kFirstCapacity = 16;

}  // namespace

// One shard: the remembered digests in a ring buffer in insertion order (the oldest at
// `head`), and an open-addressing index (linear probing) of their ring positions. The ring
// grows by doubling up to the shard's bound; the index is rebuilt at each growth and kept at
// most 70% full. Deletions shift the following probe chain back (no tombstones).
struct ReplayCache::Shard {
  struct Entry {
    ReplayDigest digest;
    int64_t seen;  // last accepted at
  };
  static constexpr uint32_t kEmpty = 0;  // index slot: kEmpty or ring position + 1

  std::mutex mutex;
  std::vector<Entry> ring;      // capacity = ring.size(); allocated on first insert
  std::vector<uint32_t> index;  // power-of-two size
  size_t head = 0;              // ring position of the oldest entry
  size_t count = 0;             // live entries
  uint64_t key = 0;             // the cache's hash key

  size_t mask() const { return index.size() - 1; }
  size_t home(const ReplayDigest& d) const {
    return size_t(replay_digest_hash(d, 8, key)) & mask();
  }
  size_t ring_next(size_t pos) const { return pos + 1 == ring.size() ? 0 : pos + 1; }

  // Ring position holding `d`, or -1.
  ptrdiff_t find(const ReplayDigest& d) const {
    if (count == 0) return -1;
    for (size_t i = home(d);; i = (i + 1) & mask()) {
      if (index[i] == kEmpty) return -1;
      if (ring[index[i] - 1].digest == d) return ptrdiff_t(index[i] - 1);
    }
  }

  void index_insert(size_t pos) {
    size_t i = home(ring[pos].digest);
    while (index[i] != kEmpty) i = (i + 1) & mask();
    index[i] = uint32_t(pos + 1);
  }

  void index_erase(size_t pos) {
    size_t i = home(ring[pos].digest);
    while (index[i] != pos + 1) i = (i + 1) & mask();
    // Backward shift: move later entries of the chain into the hole unless that would put
    // them before their home slot.
    for (size_t j = (i + 1) & mask(); index[j] != kEmpty; j = (j + 1) & mask()) {
      size_t h = home(ring[index[j] - 1].digest);
      if (((j - h) & mask()) >= ((j - i) & mask())) {
        index[i] = index[j];
        i = j;
      }
    }
    index[i] = kEmpty;
  }

  void pop_front() {
    index_erase(head);
    head = ring_next(head);
    --count;
  }

  // Room for one more entry; `limit` is the shard's bound (count < limit on entry).
  void grow(size_t limit) {
    size_t capacity = std::min(std::max(2 * ring.size(), kFirstCapacity), limit);
    std::vector<Entry> bigger(capacity);
    for (size_t k = 0, pos = head; k < count; ++k, pos = ring_next(pos)) bigger[k] = ring[pos];
    ring = std::move(bigger);
    head = 0;
    size_t slots = 4;
    while (slots * 7 < capacity * 10) slots *= 2;
    index.assign(slots, kEmpty);
    for (size_t pos = 0; pos < count; ++pos) index_insert(pos);
  }

  void push_back(const ReplayDigest& d, int64_t now, size_t limit) {
    if (count == ring.size()) grow(limit);
    size_t pos = head + count;
    if (pos >= ring.size()) pos -= ring.size();
    ring[pos] = {d, now};
    index_insert(pos);
    ++count;
  }
};

ReplayCache::ReplayCache(ReplayCacheOptions options) : options_(options) {
  if (options_.shards == 0) options_.shards = 1;
  if (options_.max_entries < options_.shards) options_.max_entries = options_.shards;
  per_shard_max_ = std::min(options_.max_entries / options_.shards, kMaxPerShard);
  if (options_.hash_key == 0) options_.hash_key = random_hash_key();
  shards_ = std::make_unique<Shard[]>(options_.shards);
  for (size_t i = 0; i < options_.shards; ++i) shards_[i].key = options_.hash_key;
}

ReplayCache::~ReplayCache() = default;

ReplayCache::Shard& ReplayCache::shard_for(const ReplayDigest& digest) {
  return shards_[replay_digest_hash(digest, 0, options_.hash_key) % options_.shards];
}

uint64_t replay_digest_hash(const ReplayDigest& digest, size_t from, uint64_t key) {
  const uint64_t v = load_le64(digest.data() + from);
  // Every output bit of the mix depends on every input bit, so without the key nobody can
  // choose digests that share low bits.
  return mix64(v ^ key);
}

bool ReplayCache::check_and_insert(const ReplayDigest& digest, int64_t now) {
  if (options_.clock != nullptr) now = options_.clock();
  Shard& shard = shard_for(digest);
  std::lock_guard lock(shard.mutex);
  const int64_t oldest_kept = now - options_.window_seconds;
  while (shard.count > 0 && shard.ring[shard.head].seen <= oldest_kept) shard.pop_front();

  if (ptrdiff_t pos = shard.find(digest); pos >= 0) {
    Shard::Entry& e = shard.ring[size_t(pos)];
    if (e.seen > oldest_kept) return false;  // seen within the window: a replay
    // Expired but not evicted yet (an older entry ahead of it in the ring is still live,
    // possible only if the callers' clocks are not monotonic): renew in place.
    e.seen = now;
    return true;
  }
  // The oldest beyond the bound make room (the one about to be added counts).
  while (shard.count >= per_shard_max_) shard.pop_front();
  shard.push_back(digest, now, per_shard_max_);
  return true;
}

size_t ReplayCache::size() const {
  size_t total = 0;
  for (size_t i = 0; i < options_.shards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].count;
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
