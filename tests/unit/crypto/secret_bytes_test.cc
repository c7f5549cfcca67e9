#include "crypto/secret_bytes.h"

#include <gtest/gtest.h>

#include "base/bytes.h"

namespace mtedge::crypto {
namespace {

TEST(CryptoSecretBytes, EqualCtComparesEveryByte) {
  Bytes a(40);
  for (size_t i = 0; i < a.size(); ++i) a[i] = uint8_t(i * 7 + 1);
  for (size_t n = 0; n <= a.size(); ++n) {
    Bytes b = a;
    EXPECT_TRUE(equal_ct(a.data(), b.data(), n)) << n;
    for (size_t at = 0; at < n; ++at) {
      b[at] ^= 0x80;
      EXPECT_FALSE(equal_ct(a.data(), b.data(), n)) << n << " " << at;
      b[at] ^= 0x80;
    }
    if (n < a.size()) {
      b[n] ^= 1;  // a difference past `size` is not looked at
      EXPECT_TRUE(equal_ct(a.data(), b.data(), n)) << n;
    }
  }
}

TEST(CryptoSecretBytes, WipeZeroesExactlyTheRange) {
  Bytes b(32, 0xAB);
  wipe(b.data() + 4, 20);
  for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(b[i], i >= 4 && i < 24 ? 0 : 0xAB) << i;
}

}  // namespace
}  // namespace mtedge::crypto
