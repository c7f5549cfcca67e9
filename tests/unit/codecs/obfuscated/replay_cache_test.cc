#include "codecs/obfuscated/replay_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace mtedge::codecs::obfuscated {
namespace {

ReplayDigest digest(uint64_t a, uint64_t b = 0x9e3779b97f4a7c15ull) {
  // Spread like a real (random) digest.
  ReplayDigest d;
  uint64_t x = a * 0xbf58476d1ce4e5b9ull ^ b;
  uint64_t y = (a + 1) * 0x94d049bb133111ebull;
  std::memcpy(d.data(), &x, 8);
  std::memcpy(d.data() + 8, &y, 8);
  return d;
}

TEST(ReplayCacheTest, SameDigestTwiceRejected) {
  ReplayCache cache({.window_seconds = 10, .max_entries = 100, .shards = 4});
  EXPECT_TRUE(cache.check_and_insert(digest(1), 100));
  EXPECT_FALSE(cache.check_and_insert(digest(1), 100));
  EXPECT_FALSE(cache.check_and_insert(digest(1), 109));
  EXPECT_TRUE(cache.check_and_insert(digest(2), 109));
}

TEST(ReplayCacheTest, WindowExpiry) {
  ReplayCache cache({.window_seconds = 10, .max_entries = 100, .shards = 1});
  EXPECT_TRUE(cache.check_and_insert(digest(1), 100));
  EXPECT_TRUE(cache.check_and_insert(digest(1), 110));  // 10 s later: forgotten
  EXPECT_FALSE(cache.check_and_insert(digest(1), 115));
  EXPECT_TRUE(cache.check_and_insert(digest(3), 200));
  EXPECT_EQ(cache.size(), 1u);  // old entries evicted on the way
}

TEST(ReplayCacheTest, BoundRespectedUnderManyInserts) {
  ReplayCache cache({.window_seconds = 1'000'000, .max_entries = 1000, .shards = 8});
  for (uint64_t i = 0; i < 100'000; ++i) {
    EXPECT_TRUE(cache.check_and_insert(digest(i), int64_t(i / 100)));
    ASSERT_LE(cache.size(), 1000u);
  }
  EXPECT_GE(cache.size(), 900u);
  // The newest are still remembered, the oldest were evicted.
  EXPECT_FALSE(cache.check_and_insert(digest(99'999), 1000));
  EXPECT_TRUE(cache.check_and_insert(digest(0), 1000));
}

TEST(ReplayCacheTest, ConcurrentInsertsFromSeveralThreads) {
  ReplayCache cache({.window_seconds = 3600, .max_entries = 1 << 20, .shards = 16});
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 20'000;
  std::atomic<uint64_t> accepted{0};
  std::vector<std::thread> threads;
  // Every thread inserts the same digests: each digest must be accepted exactly once.
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      uint64_t mine = 0;
      for (uint64_t i = 0; i < kPerThread; ++i)
        mine += cache.check_and_insert(digest(i), 5) ? 1 : 0;
      accepted += mine;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), kPerThread);
  EXPECT_EQ(cache.size(), kPerThread);
}

// The cache's contract on simple containers: per shard, digests in insertion order and their
// last accepted time. Shards are chosen as the cache does (bytes 0..8, little-endian).
class ModelCache {
 public:
  enum class Outcome { kReplay, kRenewed, kInserted };

  explicit ModelCache(ReplayCacheOptions o) : options_(o) {
    if (options_.shards == 0) options_.shards = 1;
    options_.max_entries = std::max(options_.max_entries, options_.shards);
    per_shard_max_ = options_.max_entries / options_.shards;
    shards_.resize(options_.shards);
  }

  Outcome check_and_insert(const ReplayDigest& d, int64_t now) {
    Shard& s = shards_[replay_digest_hash(d, 0, options_.hash_key) % options_.shards];
    const int64_t oldest_kept = now - options_.window_seconds;
    while (!s.order.empty() && s.seen.at(s.order.front()) <= oldest_kept) pop_front(s);
    if (auto it = s.seen.find(d); it != s.seen.end()) {
      if (it->second > oldest_kept) return Outcome::kReplay;
      it->second = now;  // keeps its place in the order
      return Outcome::kRenewed;
    }
    while (s.order.size() >= per_shard_max_) pop_front(s);
    s.order.push_back(d);
    s.seen[d] = now;
    return Outcome::kInserted;
  }

  size_t size() const {
    size_t n = 0;
    for (const Shard& s : shards_) n += s.order.size();
    return n;
  }

 private:
  struct Shard {
    std::deque<ReplayDigest> order;
    std::map<ReplayDigest, int64_t> seen;
  };
  static void pop_front(Shard& s) {
    s.seen.erase(s.order.front());
    s.order.pop_front();
  }

  ReplayCacheOptions options_;
  size_t per_shard_max_;
  std::vector<Shard> shards_;
};

struct ModelRunStats {
  size_t replays = 0, renewals = 0, max_size = 0;
};

// Random operations on the cache and the model with a moving clock (mostly forward, sometimes
// back, sometimes far ahead); replays come from the digests made so far. Every answer and
// size() must agree. Adds to `stats`.
void run_against_model(ReplayCacheOptions options, uint64_t seed, size_t ops,
                       const std::function<ReplayDigest(std::mt19937_64&)>& fresh,
                       ModelRunStats& stats) {
  ReplayCache cache(options);
  ModelCache model(cache.options());  // with the hash key the cache drew
  std::mt19937_64 rng(seed);
  std::vector<ReplayDigest> made;
  int64_t now = 1000;
  const int64_t w = options.window_seconds;
  for (size_t op = 0; op < ops; ++op) {
    const uint64_t r = rng() % 100;
    if (r < 20) {
      now += 1;
    } else if (r < 23) {
      now += int64_t(rng() % uint64_t(w));
    } else if (r < 26) {
      now -= int64_t(rng() % uint64_t(2 * w));
    } else if (r < 27) {
      now += 2 * w;
    }
    ReplayDigest d;
    if (!made.empty() && rng() % 2 == 0) {
      // Mostly recent digests, sometimes any.
      size_t back =
          rng() % 4 == 0 ? rng() % made.size() : rng() % std::min<size_t>(made.size(), 16);
      d = made[made.size() - 1 - back];
    } else {
      d = fresh(rng);
      made.push_back(d);
    }
    ModelCache::Outcome want = model.check_and_insert(d, now);
    bool got = cache.check_and_insert(d, now);
    ASSERT_EQ(got, want != ModelCache::Outcome::kReplay) << "op " << op << " seed " << seed;
    ASSERT_EQ(cache.size(), model.size()) << "op " << op << " seed " << seed;
    stats.replays += want == ModelCache::Outcome::kReplay;
    stats.renewals += want == ModelCache::Outcome::kRenewed;
    stats.max_size = std::max(stats.max_size, model.size());
  }
}

ReplayDigest random_digest(std::mt19937_64& rng) {
  ReplayDigest d;
  uint64_t a = rng(), b = rng();
  std::memcpy(d.data(), &a, 8);
  std::memcpy(d.data() + 8, &b, 8);
  return d;
}

constexpr uint64_t kTestHashKey = 0x5eed5eed5eed5eedull;

// Bytes 8..16 of a digest whose index hash under kTestHashKey is `hash`: the hash is
// mix64 (splitmix64's finalizer) of (bytes ^ key), undone step by step.
void set_index_hash(ReplayDigest& d, uint64_t hash) {
  uint64_t v = hash;
  v ^= (v >> 31) ^ (v >> 62);
  v *= 0x319642b2d24d8ec3ull;  // the inverse of 0x94d049bb133111eb mod 2^64
  v ^= (v >> 27) ^ (v >> 54);
  v *= 0x96de1b173f119089ull;  // the inverse of 0xbf58476d1ce4e5b9 mod 2^64
  v ^= (v >> 30) ^ (v >> 60);
  v ^= kTestHashKey;
  for (size_t i = 0; i < 8; ++i) d[8 + i] = uint8_t(v >> (8 * i));
}

// These digests share the low 12 bits of their index hash with one of a few homes, so in any
// index of up to 4096 slots they form long probe chains, adjacent ones, and one that wraps
// past the last slot.
ReplayDigest colliding_digest(std::mt19937_64& rng) {
  static constexpr uint64_t kHomes[] = {5, 6, 9, 0xfff};
  ReplayDigest d = random_digest(rng);
  if (rng() % 8 != 0) set_index_hash(d, rng() << 12 | kHomes[rng() % 4]);  // a few elsewhere
  return d;
}

TEST(ReplayCacheTest, CraftedDigestsHaveTheHashAsked) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100; ++i) {
    ReplayDigest d = random_digest(rng);
    const uint64_t want = rng();
    set_index_hash(d, want);
    EXPECT_EQ(replay_digest_hash(d, 8, kTestHashKey), want);
  }
}

TEST(ReplayCacheTest, HashDependsOnTheKey) {
  // Digests that collide under one key scatter under another.
  std::mt19937_64 rng(6);
  std::set<uint64_t> homes;
  for (int i = 0; i < 64; ++i) {
    ReplayDigest d = random_digest(rng);
    set_index_hash(d, rng() << 12 | 5);
    homes.insert(replay_digest_hash(d, 8, kTestHashKey + 1) & 0xfff);
  }
  EXPECT_GT(homes.size(), 50u);
}

// Seeds 1..seeds against the model; together the runs must have seen replays and renewals
// and filled the cache to `max_size`.
void check_against_model(const ReplayCacheOptions& options, uint64_t seeds, size_t ops,
                         const std::function<ReplayDigest(std::mt19937_64&)>& fresh,
                         size_t max_size) {
  ModelRunStats s;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    run_against_model(options, seed, ops, fresh, s);
    if (::testing::Test::HasFatalFailure()) return;
  }
  EXPECT_GT(s.replays, 0u);
  EXPECT_GT(s.renewals, 0u);
  EXPECT_EQ(s.max_size, max_size);
}

TEST(ReplayCacheTest, MatchesModelOneSmallShard) {
  // Bound 8: the ring is allocated at 8 and wraps; small window: entries age out.
  check_against_model({.window_seconds = 6, .max_entries = 8, .shards = 1}, 20, 3000, random_digest,
                      8);
}

TEST(ReplayCacheTest, MatchesModelGrowingRing) {
  // Bound 100 per shard (not a power of two): the ring grows 16, 32, 64, 100 and wraps.
  check_against_model({.window_seconds = 60, .max_entries = 100, .shards = 1}, 10, 20000,
                      random_digest, 100);
}

TEST(ReplayCacheTest, MatchesModelSeveralShards) {
  check_against_model({.window_seconds = 30, .max_entries = 40, .shards = 3}, 10, 10000,
                      random_digest, 39);  // 13 per shard
}

TEST(ReplayCacheTest, MatchesModelWithCollidingDigests) {
  // Deletions from the middle of long and overlapping probe chains, index rebuilt at each
  // growth, chains wrapping past the index's end.
  for (size_t max_entries : {7u, 64u, 300u}) {
    SCOPED_TRACE(max_entries);
    check_against_model(
        {.window_seconds = 20, .max_entries = max_entries, .shards = 1, .hash_key = kTestHashKey},
        10, 10000, colliding_digest, max_entries);
    if (HasFatalFailure()) return;
  }
}

TEST(ReplayCacheTest, ExpiredEntryBehindLiveOneIsRenewed) {
  // A clock that went back leaves an expired entry behind a live one: it is accepted again
  // and remembered from then on.
  ReplayCache cache({.window_seconds = 10, .max_entries = 100, .shards = 1});
  EXPECT_TRUE(cache.check_and_insert(digest(1), 100));
  EXPECT_TRUE(cache.check_and_insert(digest(2), 50));
  EXPECT_TRUE(cache.check_and_insert(digest(2), 105));  // 50 is out of [95, 105]
  EXPECT_FALSE(cache.check_and_insert(digest(2), 106));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.check_and_insert(digest(2), 111));  // digest(1) aged out, 2 kept
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.check_and_insert(digest(1), 111));
}

TEST(ReplayCacheTest, ReplayAtTheBoundEvictsNothing) {
  // A full shard: replaying its oldest digest is still a replay, and forgets nothing.
  ReplayCache cache({.window_seconds = 1000, .max_entries = 4, .shards = 1});
  for (uint64_t i = 0; i < 4; ++i) EXPECT_TRUE(cache.check_and_insert(digest(i), 10));
  for (int k = 0; k < 3; ++k) EXPECT_FALSE(cache.check_and_insert(digest(0), 11));
  for (uint64_t i = 0; i < 4; ++i) EXPECT_FALSE(cache.check_and_insert(digest(i), 12));
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_TRUE(cache.check_and_insert(digest(4), 13));  // evicts digest(0)
  EXPECT_TRUE(cache.check_and_insert(digest(0), 13));
  EXPECT_FALSE(cache.check_and_insert(digest(3), 13));
}

TEST(ReplayCacheTest, ReinsertedAfterExpiry) {
  ReplayCache cache({.window_seconds = 5, .max_entries = 16, .shards = 1});
  for (int64_t t = 0; t < 100; t += 5) {
    EXPECT_TRUE(cache.check_and_insert(digest(7), t)) << t;
    EXPECT_FALSE(cache.check_and_insert(digest(7), t + 4)) << t;
    EXPECT_EQ(cache.size(), 1u);
  }
}

}  // namespace
}  // namespace mtedge::codecs::obfuscated
