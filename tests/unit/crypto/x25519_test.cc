#include "crypto/x25519.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <array>
#include <memory>

namespace mtedge::crypto {
namespace {

// Each call gives a new key, and each is a valid X25519 public key: OpenSSL accepts it as the
// peer of a key agreement.
TEST(CryptoX25519, FreshValidPublicKeys) {
  std::array<uint8_t, 32> a{}, b{};
  x25519_public_key(a.data());
  x25519_public_key(b.data());
  EXPECT_NE(a, b);

  EVP_PKEY* mine = EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519");
  ASSERT_NE(mine, nullptr);
  EVP_PKEY* peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, a.data(), a.size());
  ASSERT_NE(peer, nullptr);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(mine, nullptr);
  ASSERT_NE(ctx, nullptr);
  uint8_t shared[32];
  size_t len = sizeof shared;
  EXPECT_EQ(EVP_PKEY_derive_init(ctx), 1);
  EXPECT_EQ(EVP_PKEY_derive_set_peer(ctx, peer), 1);
  EXPECT_EQ(EVP_PKEY_derive(ctx, shared, &len), 1);
  EXPECT_EQ(len, 32u);
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(peer);
  EVP_PKEY_free(mine);
}

}  // namespace
}  // namespace mtedge::crypto
