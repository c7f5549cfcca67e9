#include "codecs/obfuscated/replay_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
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

}  // namespace
}  // namespace mtedge::codecs::obfuscated
