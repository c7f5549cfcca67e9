// The background refill of the DH pair pool: it fills the pool to its bound, stops there, and
// tops it up as pairs are taken.
#include "gateway/edge/dh_refill_thread.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "crypto/bignum.h"

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
  }  // joins: the thread was waiting for room and close() woke it
  EXPECT_FALSE(pool.refill_one());  // closed
}

}  // namespace
}  // namespace mtedge::gateway
