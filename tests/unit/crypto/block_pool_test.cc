// BlockPool: blocks are distinct, aligned and writable; a mapping is returned once all its
// blocks are free (one empty mapping is kept); blocks freed in any order are reused.
#include "crypto/block_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace {

using mtedge::crypto::BlockPool;

std::vector<void*> allocate(BlockPool& pool, int count) {
  std::vector<void*> blocks;
  for (int i = 0; i < count; ++i) blocks.push_back(pool.allocate());
  return blocks;
}

TEST(BlockPool, BlocksAreDistinctAlignedAndWritable) {
  BlockPool pool(240);
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) {
    void* b = pool.allocate();
    ASSERT_EQ(reinterpret_cast<uintptr_t>(b) % 16, 0u);
    std::memset(b, i & 0xff, 240);
    blocks.push_back(b);
  }
  EXPECT_EQ(std::set<void*>(blocks.begin(), blocks.end()).size(), blocks.size());
  for (size_t i = 0; i < blocks.size(); ++i) {  // no block overlaps the next one written
    const auto* p = static_cast<const uint8_t*>(blocks[i]);
    EXPECT_TRUE(std::all_of(p, p + 240, [&](uint8_t v) { return v == (i & 0xff); })) << i;
  }
  EXPECT_EQ(pool.blocks_in_use(), 1000u);
  for (void* b : blocks) pool.free(b);
  EXPECT_EQ(pool.blocks_in_use(), 0u);
}

TEST(BlockPool, EmptyMappingsAreReturnedButOne) {
  BlockPool pool(240);
  const std::vector<void*> blocks = allocate(pool, 5000);
  const size_t per_mapping = BlockPool::kMappingBytes / 256;
  EXPECT_GE(pool.mappings(), 5000 / per_mapping);
  EXPECT_LE(pool.mappings(), 5000 / per_mapping + 2);
  // Free every other block: no mapping is empty, none goes.
  const size_t held = pool.mappings();
  for (size_t i = 0; i < blocks.size(); i += 2) pool.free(blocks[i]);
  EXPECT_EQ(pool.mappings(), held);
  // Free the rest in a random order: all but the kept empty mapping go.
  std::vector<void*> rest;
  for (size_t i = 1; i < blocks.size(); i += 2) rest.push_back(blocks[i]);
  std::shuffle(rest.begin(), rest.end(), std::mt19937(7));
  for (void* b : rest) pool.free(b);
  EXPECT_EQ(pool.mappings(), 1u);
  // The kept mapping serves the next blocks without a new one.
  void* again = pool.allocate();
  EXPECT_EQ(pool.mappings(), 1u);
  pool.free(again);
}

TEST(BlockPool, FreedBlocksAreReusedInAnyOrder) {
  BlockPool pool(100);
  std::mt19937 rng(3);
  std::vector<void*> live;
  for (int step = 0; step < 20000; ++step) {
    if (live.empty() || rng() % 3 != 0) {
      live.push_back(pool.allocate());
      std::memset(live.back(), 0x5a, 100);
    } else {
      const size_t i = rng() % live.size();
      pool.free(live[i]);
      live[i] = live.back();
      live.pop_back();
    }
  }
  EXPECT_EQ(pool.blocks_in_use(), live.size());
  EXPECT_EQ(std::set<void*>(live.begin(), live.end()).size(), live.size());
  // Never more mappings than the live blocks need, plus partly used ones: with ~13k live
  // blocks of 128-byte stride, well under twice the minimum.
  const size_t minimum = (live.size() + 510) / 511;
  EXPECT_LE(pool.mappings(), 2 * minimum + 1);
  for (void* b : live) pool.free(b);
  EXPECT_EQ(pool.mappings(), 1u);
}

TEST(BlockPool, BlocksMayBeFreedOnAnotherThread) {
  BlockPool pool(240);
  const std::vector<void*> blocks = allocate(pool, 3000);
  std::thread t1([&] {
    for (size_t i = 0; i < blocks.size(); i += 2) pool.free(blocks[i]);
  });
  std::thread t2([&] {
    for (size_t i = 1; i < blocks.size(); i += 2) pool.free(blocks[i]);
  });
  t1.join();
  t2.join();
  EXPECT_EQ(pool.blocks_in_use(), 0u);
  EXPECT_EQ(pool.mappings(), 1u);
}

}  // namespace
