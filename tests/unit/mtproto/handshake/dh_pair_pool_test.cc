// The pool of precomputed server DH pairs: each pair handed out once, the bound held under
// concurrent refills, and every pair a valid (b, g^b mod p) of its group.
#include "mtproto/handshake/dh_pair_pool.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crypto/bignum.h"

namespace mtedge::mtproto {
namespace {

DhPairPool make_pool(size_t capacity) {
  const DhGroup& group = DhGroup::telegram_default();
  return DhPairPool(group, crypto::MontgomeryModulus::create(group.prime).value(), capacity);
}

TEST(DhPairPool, StartsEmptyAndCountsMisses) {
  DhPairPool pool = make_pool(3);
  EXPECT_FALSE(pool.take().has_value());
  EXPECT_FALSE(pool.take().has_value());
  DhPairPool::Stats s = pool.stats();
  EXPECT_EQ(s.size, 0u);
  EXPECT_EQ(s.capacity, 3u);
  EXPECT_EQ(s.taken, 0u);
  EXPECT_EQ(s.misses, 2u);
}

TEST(DhPairPool, RefillsToItsBoundAndNeverBeyond) {
  DhPairPool pool = make_pool(4);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(pool.refill_one()) << i;
  EXPECT_FALSE(pool.refill_one());
  EXPECT_EQ(pool.stats().size, 4u);
  // One taken: exactly one slot to refill.
  ASSERT_TRUE(pool.take().has_value());
  EXPECT_EQ(pool.stats().size, 3u);
  EXPECT_TRUE(pool.refill_one());
  EXPECT_FALSE(pool.refill_one());
  EXPECT_EQ(pool.stats().size, 4u);
}

TEST(DhPairPool, ConcurrentRefillsHoldTheBound) {
  DhPairPool pool = make_pool(5);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i) pool.refill_one();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(pool.stats().size, 5u);
}

TEST(DhPairPool, PairsAreNeverReused) {
  DhPairPool pool = make_pool(8);
  // As strings: a set of byte vectors trips a g++ 12 -O3 false warning (stringop-overread).
  std::set<std::string> secrets, publics;
  // Three rounds of fill and drain: a pair leaves the pool once and never comes back.
  for (int round = 0; round < 3; ++round) {
    while (pool.refill_one()) {
    }
    while (auto pair = pool.take()) {
      EXPECT_TRUE(secrets.insert(std::string(pair->secret.begin(), pair->secret.end())).second)
          << "secret b handed out twice";
      EXPECT_TRUE(
          publics.insert(std::string(pair->public_value.begin(), pair->public_value.end())).second);
    }
  }
  EXPECT_EQ(secrets.size(), 24u);
  DhPairPool::Stats s = pool.stats();
  EXPECT_EQ(s.taken, 24u);
  EXPECT_EQ(s.misses, 3u);  // the take() that ended each drain
  EXPECT_EQ(s.size, 0u);
}

TEST(DhPairPool, PairsAreGToTheSecretInRange) {
  DhPairPool pool = make_pool(2);
  ASSERT_TRUE(pool.refill_one());
  auto pair = pool.take();
  ASSERT_TRUE(pair.has_value());
  EXPECT_EQ(pair->secret.size(), 256u);
  const DhGroup& group = pool.group();
  auto expected = crypto::mod_exp_u32(group.g, pair->secret, group.prime, 256);
  ASSERT_TRUE(expected.is_ok());
  EXPECT_EQ(pair->public_value, *expected);
  EXPECT_TRUE(crypto::is_good_dh_value(pair->public_value, group.prime));
}

TEST(DhPairPool, CloseWakesAWaiterOnAFullPool) {
  DhPairPool pool = make_pool(1);
  EXPECT_TRUE(pool.wait_for_room());  // empty: room at once
  ASSERT_TRUE(pool.refill_one());
  bool waited = true;
  std::thread waiter([&] { waited = pool.wait_for_room(); });  // full: blocks until close()
  pool.close();
  waiter.join();
  EXPECT_FALSE(waited);
  EXPECT_FALSE(pool.refill_one());
  EXPECT_TRUE(pool.take().has_value());  // pairs made before close() may still be used
}

}  // namespace
}  // namespace mtedge::mtproto
