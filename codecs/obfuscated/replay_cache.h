// Anti-replay cache (docs/spec/wire-notes.md §3.6): remembers recently seen 16-byte digests (the
// obfuscated2 init's key material init[8..24), or a fake-TLS ClientHello random[0..16)) for
// a time window, in bounded memory. One cache is shared by every worker thread; the gateway
// keeps one per listener and kind of init (fake-TLS apart from obfuscated2), so inits that
// anyone can make (no secret) cannot evict the digests that protect another listener or kind.
//
// Thread safety: sharded by digest; each shard has its own mutex, so workers contend only
// when two connections land on the same shard at the same instant. No global lock.
// Time comes from the caller (`now`, in seconds: codecs have no clock), unless the cache was
// given a clock of its own (ReplayCacheOptions::clock).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/bytes.h"

namespace mtedge::codecs::obfuscated {

using ReplayDigest = std::array<uint8_t, 16>;

struct ReplayCacheOptions {
  // How long a digest is remembered. For fake-TLS it should cover the accepted timestamp
  // window (max_past + max_future of FakeTlsOptions); older hellos fail the time check anyway.
  int64_t window_seconds = 900;
  // Upper bound on remembered digests over all shards; the oldest are evicted first.
  // Memory is 32 bytes per entry once a shard is full (a 24-byte ring entry and 8 bytes of
  // index), up to twice that per live entry while its storage grows by doubling: the default
  // holds 8 MiB at most, nothing before first use. (docs/configuration.md, conf/mtedge.toml
  // and docs/performance.md quote this.)
  size_t max_entries = 1u << 18;
  size_t shards = 32;
  // Keys the hashes that pick a digest's shard and index slot, so that digests a client
  // chooses (an obfuscated2 init without a secret) cannot be crafted to pile up in one probe
  // chain. 0: a random key per cache (tests set one to build collisions on purpose).
  uint64_t hash_key = 0;
  // Seconds of a monotonic clock. When set, entries age by it and the `now` callers pass is
  // ignored: the codecs pass the wall clock their timestamp checks need, and a wall clock
  // that steps forward must not age recent digests out (obfuscated2 inits carry no
  // timestamp), nor one that steps back keep them.
  int64_t (*clock)() = nullptr;
};

// The hash of digest bytes [from, from + 8) under `key`: the shard is chosen with from = 0,
// the index slot with from = 8. A bijection of those bytes for a given key.
uint64_t replay_digest_hash(const ReplayDigest& digest, size_t from, uint64_t key);

class ReplayCache {
 public:
  explicit ReplayCache(ReplayCacheOptions options = {});
  ReplayCache(const ReplayCache&) = delete;
  ReplayCache& operator=(const ReplayCache&) = delete;
  ~ReplayCache();

  // True if `digest` was not seen within the window (and remembers it now); false on a
  // replay. Safe to call from any thread.
  bool check_and_insert(const ReplayDigest& digest, int64_t now);

  size_t size() const;  // entries held now (approximate under concurrent inserts)
  const ReplayCacheOptions& options() const { return options_; }

 private:
  struct Shard;
  Shard& shard_for(const ReplayDigest& digest);

  ReplayCacheOptions options_;
  size_t per_shard_max_;
  std::unique_ptr<Shard[]> shards_;
};

// Digests used with the cache.
ReplayDigest init_replay_digest(ByteView init64);           // init[8..24)
ReplayDigest client_random_replay_digest(ByteView random);  // random[0..16)

}  // namespace mtedge::codecs::obfuscated
