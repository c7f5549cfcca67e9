#include "crypto/rsa.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include "crypto/bignum.h"
#include "tests/support/hex.h"
#include "tests/support/keys.h"

namespace mtedge::crypto {
namespace {

// A production Telegram server key as shipped in Telethon 1.25.1; its fingerprint is the first
// one in the docs/spec/wire-notes.md §7.6 resPQ sample (wire A5B7F709355FC30B).
constexpr std::string_view kTelegramKeyPem =
    "-----BEGIN RSA PUBLIC KEY-----\n"
    "MIIBCgKCAQEAruw2yP/BCcsJliRoW5eBVBVle9dtjJw+OYED160Wybum9SXtBBLX\n"
    "riwt4rROd9csv0t0OHCaTmRqBcQ0J8fxhN6/cpR1GWgOZRUAiQxoMnlt0R93LCX/\n"
    "j1dnVa/gVbCjdSxpbrfY2g2L4frzjJvdl84Kd9ORYjDEAyFnEA7dD556OptgLQQ2\n"
    "e2iVNq8NZLYTzLp5YpOdO1doK+ttrltggTCy5SrKeLoCPPbOgGsdxJxyz5KKcZnS\n"
    "Lj16yE5HvJQn0CNpRdENvRUXe6tBP78O39oJ8BTHp9oIjd6XWXAsp2CvK45Ol8wF\n"
    "XGF710w9lwCGNbmNxNYhtIkdqfsEcwR5JwIDAQAB\n"
    "-----END RSA PUBLIC KEY-----\n";

const RsaPrivateKey& test_key() {
  static const RsaPrivateKey key = RsaPrivateKey::generate().value();
  return key;
}

TEST(CryptoRsa, TelegramKeyFingerprint) {
  auto key = RsaPublicKey::from_pem(kTelegramKeyPem);
  ASSERT_TRUE(key.is_ok()) << key.message();
  EXPECT_EQ(key->fingerprint(), 0x0BC35F3509F7B7A5u);
  EXPECT_EQ(key->modulus_bits(), 2048u);
  EXPECT_EQ(key->e(), (Bytes{0x01, 0x00, 0x01}));
  auto same = RsaPublicKey::from_n_e(key->n(), key->e());
  ASSERT_TRUE(same.is_ok());
  EXPECT_EQ(same->fingerprint(), key->fingerprint());
  // Leading zero bytes do not change the fingerprint.
  Bytes n0 = key->n();
  n0.insert(n0.begin(), 0);
  EXPECT_EQ(rsa_fingerprint(n0, key->e()), key->fingerprint());
}

TEST(CryptoRsa, PemRoundTripAndPublicPem) {
  const RsaPrivateKey& key = test_key();
  EXPECT_EQ(key.public_key().modulus_bits(), 2048u);
  EXPECT_FALSE(key.d().empty());
  auto again = RsaPrivateKey::from_pem(key.private_pem());
  ASSERT_TRUE(again.is_ok()) << again.message();
  EXPECT_EQ(again->fingerprint(), key.fingerprint());
  const std::string pub = key.public_pem();
  EXPECT_NE(pub.find("BEGIN RSA PUBLIC KEY"), std::string::npos);
  auto pub_key = RsaPublicKey::from_pem(pub);
  ASSERT_TRUE(pub_key.is_ok()) << pub_key.message();
  EXPECT_EQ(pub_key->fingerprint(), key.fingerprint());

  const std::string path = ::testing::TempDir() + "mtproto_crypto_key.pem";
  {
    std::ofstream f(path);
    f << key.private_pem();
  }
  auto from_file = RsaPrivateKey::from_pem_file(path);
  ASSERT_TRUE(from_file.is_ok()) << from_file.message();
  EXPECT_EQ(from_file->fingerprint(), key.fingerprint());
  std::remove(path.c_str());
  EXPECT_FALSE(RsaPrivateKey::from_pem_file(path).is_ok());
}

TEST(CryptoRsa, RejectsBadPem) {
  EXPECT_FALSE(RsaPrivateKey::from_pem("garbage").is_ok());
  EXPECT_FALSE(RsaPrivateKey::from_pem(kTelegramKeyPem).is_ok());  // public only
  EXPECT_FALSE(
      RsaPublicKey::from_pem("-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n")
          .is_ok());
  auto small = RsaPrivateKey::generate(1024);
  EXPECT_FALSE(small.is_ok());  // MTProto needs 2048-bit keys
}

TEST(CryptoRsa, RawEncryptDecryptRoundTrip) {
  const RsaPrivateKey& key = test_key();
  std::mt19937 rng(5);
  for (int i = 0; i < 5; ++i) {
    Bytes m(256);
    for (auto& b : m) b = uint8_t(rng());
    m[0] = 0;  // < n
    auto c = key.public_key().encrypt_raw(m);
    ASSERT_TRUE(c.is_ok()) << c.message();
    auto back = key.decrypt_raw(*c);
    ASSERT_TRUE(back.is_ok()) << back.message();
    EXPECT_EQ(Bytes(back->begin(), back->end()), m);
    // Same with the raw modexp helper (c^d mod n).
    auto manual = mod_exp(*c, key.d(), key.public_key().n(), 256);
    ASSERT_TRUE(manual.is_ok());
    EXPECT_EQ(*manual, m);
  }
  // Shorter input is left-padded.
  Bytes small = {0x01, 0x02};
  auto c = key.public_key().encrypt_raw(small);
  ASSERT_TRUE(c.is_ok());
  auto back = key.decrypt_raw(*c);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ((*back)[254], 1);
  EXPECT_EQ((*back)[255], 2);
}

TEST(CryptoRsa, RawRejectsOutOfRange) {
  const RsaPrivateKey& key = test_key();
  EXPECT_FALSE(key.decrypt_raw(Bytes(256, 0xff)).is_ok());  // >= n
  EXPECT_FALSE(key.decrypt_raw(Bytes(257, 0)).is_ok());
  EXPECT_FALSE(key.decrypt_raw(Bytes()).is_ok());
  Bytes n = key.public_key().n();
  EXPECT_FALSE(key.decrypt_raw(n).is_ok());  // == n
  EXPECT_FALSE(key.public_key().encrypt_raw(n).is_ok());
}

TEST(CryptoBignum, ModExpAndConversions) {
  auto r = mod_exp(Bytes{0x04}, Bytes{0x0d}, Bytes{0x01, 0xf1}, 2);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(*r, (Bytes{0x01, 0xbd}));  // 4^13 mod 497 = 445
  auto g = mod_exp_u32(3, Bytes{0x02}, Bytes{0x07}, 1);
  ASSERT_TRUE(g.is_ok());
  EXPECT_EQ(*g, Bytes{0x02});  // 9 mod 7
  EXPECT_FALSE(mod_exp(Bytes{2}, Bytes{2}, Bytes{0}, 4).is_ok());
  EXPECT_FALSE(mod_exp(Bytes{2}, Bytes{8}, Bytes{0x7f, 0xff}, 1).is_ok());

  EXPECT_EQ(u64_to_be(2694724800268887959u), mtedge::test::from_hex("2565 95ED B776 6797"));
  EXPECT_EQ(be_to_u64(mtedge::test::from_hex("00 2565 95ED B776 6797")).value(),
            2694724800268887959u);
  EXPECT_FALSE(be_to_u64(Bytes(9, 1)).has_value());
  EXPECT_TRUE(u64_to_be(0).empty());
  EXPECT_EQ(compare_be(Bytes{0, 5}, Bytes{5}), 0);
  EXPECT_LT(compare_be(Bytes{4}, Bytes{1, 0}), 0);
  EXPECT_GT(compare_be(Bytes{2, 0}, Bytes{1, 0xff}), 0);

  EXPECT_TRUE(is_probable_prime(u64_to_be(1513098571)));
  EXPECT_TRUE(is_probable_prime(u64_to_be(1780931429)));
  EXPECT_FALSE(is_probable_prime(u64_to_be(2694724800268887959u)));
  for (int i = 0; i < 3; ++i) {
    const uint32_t p = random_prime_u32(31);
    EXPECT_GE(p, 1u << 30);
    EXPECT_TRUE(is_probable_prime(u64_to_be(p)));
  }
}

TEST(CryptoBignum, DhGroupChecks) {
  const Bytes p = mtedge::test::from_hex(mtedge::test::kProdDhPrimeHex);
  ASSERT_EQ(p.size(), 256u);
  EXPECT_TRUE(is_safe_prime_2048(p));
  EXPECT_TRUE(is_good_dh_generator(3, p));
  EXPECT_FALSE(is_good_dh_generator(2, p));  // p mod 8 != 7 for this prime
  EXPECT_FALSE(is_good_dh_generator(1, p));
  EXPECT_FALSE(is_good_dh_generator(8, p));
  EXPECT_TRUE(is_good_dh_generator(4, p));
  Bytes not_safe = p;
  not_safe[255] ^= 2;  // p - 2 or so: not prime
  EXPECT_FALSE(is_safe_prime_2048(not_safe));
  EXPECT_FALSE(is_safe_prime_2048(Bytes(p.begin() + 1, p.end())));  // 2040 bits

  // g_a = 3^a mod p lands in range for a random a.
  Bytes a(256);
  for (size_t i = 0; i < a.size(); ++i) a[i] = uint8_t(i * 7 + 1);
  auto g_a = mod_exp_u32(3, a, p, 256);
  ASSERT_TRUE(g_a.is_ok());
  EXPECT_TRUE(is_good_dh_value(*g_a, p));
  EXPECT_FALSE(is_good_dh_value(Bytes{1}, p));
  EXPECT_FALSE(is_good_dh_value(Bytes{2}, p));  // far below 2^(2048-64)
  EXPECT_FALSE(is_good_dh_value(p, p));
  Bytes p_minus_1 = p;
  p_minus_1[255] -= 1;
  EXPECT_FALSE(is_good_dh_value(p_minus_1, p));
  Bytes low(256, 0);
  low[7] = 1;  // exactly 2^(2048-64)
  EXPECT_TRUE(is_good_dh_value(low, p));
  low[7] = 0;
  low[8] = 0xff;  // just below
  EXPECT_FALSE(is_good_dh_value(low, p));
}

// The prebuilt Montgomery context gives the same results as the one-shot mod_exp, from any
// number of threads sharing it.
TEST(CryptoBignum, MontgomeryModulusMatchesModExp) {
  const Bytes p = mtedge::test::from_hex(mtedge::test::kProdDhPrimeHex);
  auto m = MontgomeryModulus::create(p);
  ASSERT_TRUE(m.is_ok()) << m.message();
  auto small = MontgomeryModulus::create(Bytes{0x01, 0xf1});
  ASSERT_TRUE(small.is_ok());
  EXPECT_EQ(small->pow(Bytes{0x04}, Bytes{0x0d}, 2).value(), (Bytes{0x01, 0xbd}));  // 4^13 mod 497
  EXPECT_EQ(small->pow(Bytes{0x01, 0xf5}, Bytes{0x0d}, 2).value(), (Bytes{0x01, 0xbd}));  // 501 = 4
  EXPECT_FALSE(small->pow(Bytes{0x04}, Bytes{0x0d}, 1).is_ok());       // 445: not one byte
  EXPECT_FALSE(MontgomeryModulus::create(Bytes{0x01, 0xf0}).is_ok());  // even
  EXPECT_FALSE(MontgomeryModulus::create(Bytes{0}).is_ok());

  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        Bytes a(256), base(256);
        for (size_t j = 0; j < a.size(); ++j) {
          a[j] = uint8_t(j * 13 + t * 7 + i);
          base[j] = uint8_t(j * 3 + i + t);
        }
        if (m->pow_u32(3, a, 256).value() != mod_exp_u32(3, a, p, 256).value()) ++mismatches;
        if (m->pow(base, a, 256).value() != mod_exp(base, a, p, 256).value()) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace mtedge::crypto
