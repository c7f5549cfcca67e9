// AES-256-IGE: AES-NI and portable paths against each other and against OpenSSL's reference
// AES_ige_encrypt.
#define OPENSSL_SUPPRESS_DEPRECATED  // AES_ige_encrypt is the reference implementation here
#include "crypto/aes_ige.h"

#include <gtest/gtest.h>
#include <openssl/aes.h>

#include <random>

#include "crypto/cpu_features.h"
#include "crypto/hash.h"
#include "tests/support/hex.h"
#include "tests/support/keys.h"

namespace mtedge::crypto {
namespace {

using mtedge::test::from_hex;
// Expected values here are upper-case hex, as docs/spec/wire-notes.md prints them.
constexpr auto to_hex = mtedge::test::to_upper_hex;

Bytes reference_ige(const AesKey& key, const AesIgeIv& iv, const Bytes& in, bool encrypt) {
  AES_KEY k;
  if (encrypt) {
    AES_set_encrypt_key(key.data(), 256, &k);
  } else {
    AES_set_decrypt_key(key.data(), 256, &k);
  }
  AesIgeIv iv_copy = iv;  // AES_ige_encrypt updates the iv
  Bytes out(in.size());
  AES_ige_encrypt(in.data(), out.data(), in.size(), &k, iv_copy.data(),
                  encrypt ? AES_ENCRYPT : AES_DECRYPT);
  return out;
}

std::vector<AesImpl> impls() {
  std::vector<AesImpl> v = {AesImpl::kPortable, AesImpl::kAuto};
  if (cpu_has_aes_ni()) v.push_back(AesImpl::kAesNi);
  return v;
}

TEST(CryptoAesIge, ReportsBackend) {
  // Informational: the benchmark numbers depend on it.
  std::printf("AES-NI available: %s\n", cpu_has_aes_ni() ? "yes" : "no");
  EXPECT_EQ(aes_ige_default_impl(), cpu_has_aes_ni() ? AesImpl::kAesNi : AesImpl::kPortable);
}

TEST(CryptoAesIge, IgeMatchesOpenSslReferenceOnRandomInputs) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 200; ++round) {
    AesKey key;
    AesIgeIv iv;
    for (auto& b : key) b = uint8_t(rng());
    for (auto& b : iv) b = uint8_t(rng());
    const size_t size = 16 * (rng() % 80);
    Bytes plain(size);
    for (auto& b : plain) b = uint8_t(rng());
    const Bytes expected = reference_ige(key, iv, plain, true);
    ASSERT_EQ(reference_ige(key, iv, expected, false), plain);
    for (AesImpl impl : impls()) {
      Bytes out(size);
      aes_ige_encrypt(key, iv, plain.data(), out.data(), size, impl);
      ASSERT_EQ(out, expected) << "encrypt impl " << int(impl) << " size " << size;
      Bytes back(size);
      aes_ige_decrypt(key, iv, out.data(), back.data(), size, impl);
      ASSERT_EQ(back, plain) << "decrypt impl " << int(impl) << " size " << size;
      // In place.
      Bytes inplace = plain;
      aes_ige_encrypt(key, iv, inplace.data(), inplace.data(), size, impl);
      ASSERT_EQ(inplace, expected);
      aes_ige_decrypt(key, iv, inplace.data(), inplace.data(), size, impl);
      ASSERT_EQ(inplace, plain);
    }
  }
}

// docs/spec/wire-notes.md §6.6: the aes_key/aes_iv of the vector encrypt the plaintext to the
// vector's payload.
TEST(CryptoAesIge, IgeWireNotesVector) {
  const Bytes key = from_hex("3036BCCEA3F2C370D188A17212C5590AD7C7398F336386BFF5FDF9C5E2BA7A37");
  const Bytes iv = from_hex("E4C0260C7869DEEE68C3F9DE30B380559132D512A0B84DDD1077C15FD1C8624B");
  const Bytes plain = from_hex(mtedge::test::kPlaintextHex);
  const Bytes payload = from_hex(mtedge::test::kPayloadHex);
  const Bytes cipher(payload.begin() + 24, payload.end());
  ASSERT_EQ(plain.size(), cipher.size());
  for (AesImpl impl : impls()) {
    Bytes out(plain.size());
    aes_ige_encrypt(std::span<const uint8_t, 32>(key.data(), 32),
                    std::span<const uint8_t, 32>(iv.data(), 32), plain.data(), out.data(),
                    out.size(), impl);
    EXPECT_EQ(to_hex(out), to_hex(cipher));
    aes_ige_decrypt(std::span<const uint8_t, 32>(key.data(), 32),
                    std::span<const uint8_t, 32>(iv.data(), 32), cipher.data(), out.data(),
                    out.size(), impl);
    EXPECT_EQ(out, plain);
  }
}

// The fused decrypt+hash equals decrypt followed by SHA-256, on every size class.
TEST(CryptoAesIge, FusedDecryptSha256MatchesSeparateSteps) {
  std::mt19937 rng(11);
  for (size_t size = 32; size <= 2048 + 64; size += 16) {
    AesKey key;
    AesIgeIv iv;
    std::array<uint8_t, 32> prefix;
    for (auto& b : key) b = uint8_t(rng());
    for (auto& b : iv) b = uint8_t(rng());
    for (auto& b : prefix) b = uint8_t(rng());
    Bytes cipher(size);
    for (auto& b : cipher) b = uint8_t(rng());
    Bytes plain(size);
    aes_ige_decrypt(key, iv, cipher.data(), plain.data(), size, AesImpl::kPortable);
    const Sha256Digest expected = sha256_openssl({ByteView(prefix), ByteView(plain)});
    for (AesImpl impl : impls()) {
      Bytes work = cipher;
      const auto digest =
          aes_ige_decrypt_sha256(key, iv, work.data(), work.data(), size, prefix, impl);
      ASSERT_EQ(work, plain) << size;
      ASSERT_EQ(digest, expected) << size;
    }
  }
}

TEST(CryptoAesIge, EcbBackendsAgree) {
  std::mt19937 rng(7);
  AesKey key;
  for (auto& b : key) b = uint8_t(rng());
  Bytes in(16 * 37);
  for (auto& b : in) b = uint8_t(rng());
  for (bool chained : {false, true}) {
    Bytes a(in.size()), b(in.size());
    aes_ecb_encrypt_blocks(key, in.data(), a.data(), in.size(), chained, AesImpl::kPortable);
    aes_ecb_encrypt_blocks(key, in.data(), b.data(), in.size(), chained, AesImpl::kAuto);
    EXPECT_EQ(a, b) << "chained " << chained;
  }
  // FIPS-197 C.3 AES-256 known answer.
  const Bytes k = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const Bytes p = from_hex("00112233445566778899aabbccddeeff");
  for (AesImpl impl : impls()) {
    Bytes c(16);
    aes_ecb_encrypt_blocks(std::span<const uint8_t, 32>(k.data(), 32), p.data(), c.data(), 16,
                           false, impl);
    EXPECT_EQ(to_hex(c), "8EA2B7CA516745BFEAFC49904B496089");
  }
}

}  // namespace
}  // namespace mtedge::crypto
