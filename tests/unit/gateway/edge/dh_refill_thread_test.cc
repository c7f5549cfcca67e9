// The background refill of the DH pair pool: it fills the pool to its bound, stops there, and
// tops it up as pairs are taken.
#include "gateway/edge/dh_refill_thread.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "crypto/bignum.h"
#include "gateway/edge/edge_crypto.h"
#include "tests/support/keys.h"
#include "tests/support/vectors.h"

namespace mtedge::gateway {
namespace {

using namespace std::chrono_literals;

// Polls until the pool holds `size` pairs; false after 20 s (the thread runs at idle priority
// on a machine that may be busy).
bool wait_for_size(const mtproto::DhPairPool& pool, size_t size) {
  for (int i = 0; i < 2000; ++i) {
    if (pool.stats().size == size) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(DhRefillThread, FillsToTheBoundAndRefillsWhatIsTaken) {
  const mtproto::DhGroup& group = mtproto::DhGroup::telegram_default();
  mtproto::DhPairPool pool(group, crypto::MontgomeryModulus::create(group.prime).value(), 3);
  DhRefillThread refill(pool);
  ASSERT_TRUE(wait_for_size(pool, 3));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(pool.stats().size, 3u);  // full: nothing more is computed
  ASSERT_TRUE(pool.take().has_value());
  ASSERT_TRUE(pool.take().has_value());
  EXPECT_TRUE(wait_for_size(pool, 3));
  EXPECT_EQ(pool.stats().taken, 2u);
}

TEST(DhRefillThread, StopsPromptlyOnAFullPool) {
  const mtproto::DhGroup& group = mtproto::DhGroup::telegram_default();
  mtproto::DhPairPool pool(group, crypto::MontgomeryModulus::create(group.prime).value(), 1);
  {
    DhRefillThread refill(pool);
    ASSERT_TRUE(wait_for_size(pool, 1));
  }                                 // joins: the thread was waiting for room and close() woke it
  EXPECT_FALSE(pool.refill_one());  // closed
}

// crypto.dh_precompute reaches the handshake context, and EdgeCrypto keeps its pool full.
TEST(DhRefillThread, EdgeCryptoFillsThePoolOfItsConfig) {
  CryptoConfig config;
  config.edge_decryption = true;
  config.rsa_keys = {
      crypto::RsaPrivateKey::from_pem_file(test::vector_path(test::kTestRsaKeyFile)).value()};
  config.handshake_threads = 0;
  config.dh_precompute = 2;
  EdgeCrypto with_pool;
  ASSERT_TRUE(with_pool.open(config).is_ok());
  const mtproto::DhPairPool* pool = with_pool.handshake()->dh_pool();
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->stats().capacity, 2u);
  EXPECT_TRUE(wait_for_size(*pool, 2));

  config.dh_precompute = 0;
  EdgeCrypto without;
  ASSERT_TRUE(without.open(config).is_ok());
  EXPECT_EQ(without.handshake()->dh_pool(), nullptr);
}

}  // namespace
}  // namespace mtedge::gateway
