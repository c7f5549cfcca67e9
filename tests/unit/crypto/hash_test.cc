#include "crypto/hash.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <random>

#include "crypto/cpu_features.h"
#include "crypto/sha256_ni.h"
#include "tests/support/hex.h"

namespace mtedge::crypto {
namespace {

using mtedge::test::from_hex;
// Expected values here are upper-case hex, as docs/spec/wire-notes.md prints them.
constexpr auto to_hex = mtedge::test::to_upper_hex;

TEST(CryptoHash, Sha1KnownAnswers) {
  EXPECT_EQ(to_hex(sha1(as_bytes("abc"))), "A9993E364706816ABA3E25717850C26C9CD0D89D");
  EXPECT_EQ(to_hex(sha1(as_bytes(""))), "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
}

TEST(CryptoHash, Sha256KnownAnswers) {
  EXPECT_EQ(to_hex(sha256(as_bytes("abc"))),
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  EXPECT_EQ(to_hex(sha256({ByteView(), as_bytes("")})),
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
  EXPECT_EQ(to_hex(sha256({as_bytes("a"), ByteView(), as_bytes("bc")})),
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  EXPECT_EQ(to_hex(sha256(as_bytes(""))),
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855");
  EXPECT_EQ(to_hex(sha256(as_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248D6A61D20638B8E5C026930C3E6039A33CE45964FF2167F6ECEDD419DB06C1");
}

TEST(CryptoHash, MultiPartEqualsConcatenation) {
  const std::string all = "The quick brown fox jumps over the lazy dog";
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    std::string_view a(all.data(), cut), b(all.data() + cut, all.size() - cut);
    EXPECT_EQ(sha256({as_bytes(a), as_bytes(b)}), sha256(as_bytes(all)));
    EXPECT_EQ(sha1({as_bytes(a), as_bytes(b)}), sha1(as_bytes(all)));
  }
}

TEST(CryptoHash, IncrementalAndReset) {
  Sha256 h;
  h.update(as_bytes("ab"));
  h.update("c", 1);
  EXPECT_EQ(to_hex(h.finish()), "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  h.reset();
  h.update(as_bytes("abc"));
  EXPECT_EQ(h.finish(), sha256(as_bytes("abc")));

  Sha1 s;
  s.update(as_bytes("a"));
  s.update(as_bytes("bc"));
  EXPECT_EQ(to_hex(s.finish()), "A9993E364706816ABA3E25717850C26C9CD0D89D");
}

// The SHA-NI path (when the CPU has it) against OpenSSL on every length around the block and
// padding boundaries, fed whole and in random splits.
TEST(CryptoHash, Sha256MatchesOpenSslAtEveryLength) {
  std::printf("SHA-NI used: %s\n", cpu_has_sha_ni() ? "yes" : "no");
  std::mt19937 rng(3);
  Bytes data(70000);
  for (auto& b : data) b = uint8_t(rng());
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 300; ++n) sizes.push_back(n);
  for (size_t n : {1023u, 1024u, 1025u, 16384u, 65599u, 70000u}) sizes.push_back(n);
  for (size_t n : sizes) {
    const ByteView v(data.data(), n);
    const Sha256Digest expected = sha256_openssl({v});
    ASSERT_EQ(sha256(v), expected) << n;
    Sha256 h;
    size_t off = 0;
    while (off < n) {
      const size_t take = std::min<size_t>(n - off, rng() % 130);
      h.update(v.subspan(off, take));
      off += take;
    }
    ASSERT_EQ(h.finish(), expected) << n;
    const size_t cut = n == 0 ? 0 : rng() % n;
    ASSERT_EQ(sha256({v.first(cut), v.subspan(cut)}), expected) << n;
  }
}

// The two-lane single-block SHA-NI helper used by the message KDF.
TEST(CryptoHash, TwoLaneShortSha256MatchesOpenSsl) {
  if (!cpu_has_sha_ni()) GTEST_SKIP() << "no SHA-NI";
  std::mt19937 rng(4);
  Bytes a(55), b(55);
  for (size_t na = 0; na <= 55; ++na) {
    const size_t nb = 55 - na;
    for (auto& x : a) x = uint8_t(rng());
    for (auto& x : b) x = uint8_t(rng());
    Sha256Digest da, db;
    shani::sha256_short_x2(a.data(), na, b.data(), nb, da.data(), db.data());
    ASSERT_EQ(da, sha256_openssl({ByteView(a.data(), na)})) << na;
    ASSERT_EQ(db, sha256_openssl({ByteView(b.data(), nb)})) << nb;
  }
}

// RFC 4231 test cases 1, 2 and 6 (key longer than a block).
TEST(CryptoHash, HmacSha256Rfc4231) {
  Bytes key1(20, 0x0b);
  EXPECT_EQ(to_hex(hmac_sha256(key1, as_bytes("Hi There"))),
            "B0344C61D8DB38535CA8AFCEAF0BF12B881DC200C9833DA726E9376C2E32CFF7");
  EXPECT_EQ(to_hex(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843");
  Bytes key6(131, 0xaa);
  EXPECT_EQ(
      to_hex(hmac_sha256(key6, as_bytes("Test Using Larger Than Block-Size Key - Hash Key First"))),
      "60E431591EE0B67F0D8A26AACBF5B77F8E0BC6213728C5140546040F0EE37F54");
  EXPECT_EQ(hmac_sha256(key1, {as_bytes("Hi "), as_bytes("There")}),
            hmac_sha256(key1, as_bytes("Hi There")));
}

// Every key length (empty, up to the block, longer than the block) and message split against
// OpenSSL's one-shot HMAC, on whichever SHA-256 path this CPU runs.
TEST(CryptoHash, HmacSha256MatchesOpenSsl) {
  std::mt19937 rng(5);
  Bytes key(200), msg(300);
  for (auto& b : key) b = uint8_t(rng());
  for (auto& b : msg) b = uint8_t(rng());
  for (size_t key_len = 0; key_len <= key.size(); ++key_len) {
    const size_t msg_len = rng() % msg.size();
    Sha256Digest expected;
    unsigned int len = 0;
    ASSERT_NE(
        HMAC(EVP_sha256(), key.data(), int(key_len), msg.data(), msg_len, expected.data(), &len),
        nullptr);
    const ByteView k(key.data(), key_len), m(msg.data(), msg_len);
    ASSERT_EQ(hmac_sha256(k, m), expected) << key_len;
    const size_t cut = msg_len == 0 ? 0 : rng() % msg_len;
    ASSERT_EQ(hmac_sha256(k, {m.first(cut), m.subspan(cut)}), expected) << key_len;
  }
}

}  // namespace
}  // namespace mtedge::crypto
