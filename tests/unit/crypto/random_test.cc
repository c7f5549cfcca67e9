// random_bytes (crypto/random.h): the per-thread pool hands every byte out once, large requests
// bypass it, and the output is not constant.
#include "crypto/random.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

namespace mtedge::crypto {
namespace {

// The number of distinct byte values in `b`: random data of a few hundred bytes has far more
// than 100, a stuck or zeroed buffer has one.
size_t distinct(const Bytes& b) {
  return std::set<uint8_t>(b.begin(), b.end()).size();
}

TEST(CryptoRandom, FillsEverySize) {
  // Around the pool (4096 bytes) and the direct-RAND_bytes threshold (1024 bytes).
  for (size_t n : {size_t{0}, size_t{1}, size_t{16}, size_t{1024}, size_t{1025}, size_t{4095},
                   size_t{4096}, size_t{4097}, size_t{100000}}) {
    Bytes a(n, 0), b(n, 0);
    random_bytes(a);
    random_bytes(b.data(), b.size());
    if (n >= 16) {
      EXPECT_NE(a, b) << n;
    }
    if (n >= 1024) {
      EXPECT_GT(distinct(a), 200u) << n;
    }
  }
}

TEST(CryptoRandom, PoolNeverRepeatsItself) {
  // Many small requests cross several pool refills; no 16-byte draw may come back.
  std::set<std::array<uint8_t, 16>> seen;
  for (int i = 0; i < 2000; ++i) {
    std::array<uint8_t, 16> v;
    random_bytes(v);
    EXPECT_TRUE(seen.insert(v).second) << i;
  }
}

TEST(CryptoRandom, IntegersAndSource) {
  std::set<uint32_t> u32;
  std::set<uint64_t> u64;
  for (int i = 0; i < 64; ++i) {
    u32.insert(random_u32());
    u64.insert(random_u64());
  }
  EXPECT_GT(u32.size(), 60u);
  EXPECT_EQ(u64.size(), 64u);
  const RandomSource source = secure_random_source();
  Bytes a(64, 0), b(64, 0);
  source(a);
  source(b);
  EXPECT_NE(a, b);
}

}  // namespace
}  // namespace mtedge::crypto
