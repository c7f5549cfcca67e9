// Credit accounting both ways, and the invariant that bounds what a backend may have
// outstanding: backend credit + held + owed == window.
#include "backend-adapters/socket/credit.h"

#include <gtest/gtest.h>

#include <random>

namespace mtedge::backend::socket {
namespace {

void expect_invariant(const CreditLedger& ledger) {
  EXPECT_EQ(ledger.backend_credit() + ledger.held() + ledger.owed(), ledger.window());
}

TEST(Credit, SendCreditIsSpentOneByOne) {
  CreditLedger ledger(8);
  EXPECT_FALSE(ledger.try_spend());
  ledger.add_send_credit(2);
  EXPECT_TRUE(ledger.try_spend());
  EXPECT_TRUE(ledger.try_spend());
  EXPECT_FALSE(ledger.try_spend());
}

TEST(Credit, SendCreditSaturates) {
  CreditLedger ledger(8);
  for (int i = 0; i < 1000; ++i) ledger.add_send_credit(UINT32_MAX);
  EXPECT_EQ(ledger.send_credit(), uint64_t(1) << 40);
}

TEST(Credit, BackendCannotExceedTheWindow) {
  CreditLedger ledger(4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(ledger.charge());
    ledger.settle();
  }
  EXPECT_FALSE(ledger.charge()) << "a fifth message before any grant is a breach";
  expect_invariant(ledger);
}

TEST(Credit, GrantsAreBatchedToAQuarterOfTheWindow) {
  CreditLedger ledger(16);
  ASSERT_TRUE(ledger.charge());
  ledger.settle();
  EXPECT_EQ(ledger.take_grant(false), 0u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ledger.charge());
    ledger.settle();
  }
  EXPECT_EQ(ledger.take_grant(false), 4u);
  EXPECT_EQ(ledger.backend_credit(), 16u);
  expect_invariant(ledger);
}

TEST(Credit, ForcedGrantWhenTheBackendRunsDry) {
  CreditLedger ledger(16);
  ASSERT_TRUE(ledger.charge());
  ledger.settle();
  EXPECT_EQ(ledger.take_grant(true), 1u);
  EXPECT_EQ(ledger.take_grant(true), 0u);
}

TEST(Credit, HeldCreditReturnsWhenTheClientDrains) {
  CreditLedger ledger(4, 4);  // the client may hold the whole window
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(ledger.charge());
    ledger.hold(42);
  }
  expect_invariant(ledger);
  EXPECT_EQ(ledger.take_grant(true), 0u) << "nothing to give while the client is slow";
  EXPECT_FALSE(ledger.charge());
  ledger.release(7);  // another client: nothing held
  EXPECT_EQ(ledger.take_grant(true), 0u);
  ledger.release(42);
  EXPECT_EQ(ledger.take_grant(true), 4u);
  EXPECT_TRUE(ledger.charge());
  ledger.settle();
  expect_invariant(ledger);
}

TEST(Credit, InvariantUnderRandomTraffic) {
  CreditLedger ledger(32);
  std::mt19937 rng(99);
  for (int step = 0; step < 20000; ++step) {
    switch (rng() % 4) {
      case 0:
      case 1:
        if (ledger.charge()) {
          if (rng() % 3 == 0) {
            ledger.hold(rng() % 5);
          } else {
            ledger.settle();
          }
        }
        break;
      case 2: ledger.release(rng() % 5); break;
      case 3: ledger.take_grant(rng() % 2 == 0); break;
    }
    expect_invariant(ledger);
    ASSERT_LE(ledger.backend_credit(), ledger.window());
  }
}

TEST(Credit, ResetStartsAFreshStream) {
  CreditLedger ledger(8);
  ledger.add_send_credit(5);
  ASSERT_TRUE(ledger.charge());
  ledger.hold(1);
  ledger.reset();
  EXPECT_EQ(ledger.send_credit(), 0u);
  EXPECT_EQ(ledger.backend_credit(), 8u);
  EXPECT_EQ(ledger.held(), 0u);
}

// One client that stops reading holds at most its share of the window (window / 8 by default,
// at least 1); past it the credit is settled anyway, so the backend can still answer others.
TEST(Credit, OneSlowClientCannotHoldTheWholeWindow) {
  CreditLedger ledger(4);  // share: 1 message
  constexpr uint64_t kSlow = 1, kOther = 2;
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(ledger.charge()) << "reply " << i << " to the slow client";
    ledger.hold(kSlow);
    ledger.take_grant(ledger.backend_credit() == 0);
    expect_invariant(ledger);
  }
  EXPECT_LE(ledger.held(), 1u);
  EXPECT_TRUE(ledger.charge()) << "the other client can still be answered";
  ledger.settle();
  (void)kOther;
  ledger.release(kSlow);
  expect_invariant(ledger);
}

TEST(Credit, ConfiguredShareBoundsHeldCredit) {
  CreditLedger ledger(64, 3);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(ledger.charge());
    ledger.hold(7);
  }
  EXPECT_EQ(ledger.held(), 3u);
  EXPECT_EQ(ledger.owed(), 7u);
  ledger.release(7);
  EXPECT_EQ(ledger.held(), 0u);
  expect_invariant(ledger);
  CreditLedger automatic(64);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(automatic.charge());
    automatic.hold(7);
  }
  EXPECT_EQ(automatic.held(), 8u);  // 64 / 8
}

}  // namespace
}  // namespace mtedge::backend::socket
