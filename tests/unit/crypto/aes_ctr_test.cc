// AesCtr (crypto/aes_ctr.h): every implementation this machine runs (the inline AES-NI
// one with and without its VAES batches, and the EVP fallback) against OpenSSL's EVP
// AES-256-CTR computed directly here, and NIST SP 800-38A.
#include "crypto/aes_ctr.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "crypto/cpu_features.h"
#include "tests/support/hex.h"

namespace mtedge::crypto {
namespace {

constexpr size_t k64K = 64 * 1024;

// The implementations this machine can run: kAuto is AES-NI where the CPU has it, with the
// VAES batches where it has VAES too; kAesNi is AES-NI without them.
std::vector<AesCtrImpl> impls() {
  return {AesCtrImpl::kAuto, AesCtrImpl::kAesNi, AesCtrImpl::kEvp};
}

const char* impl_name(AesCtrImpl impl) {
  switch (impl) {
    case AesCtrImpl::kEvp: return "evp";
    case AesCtrImpl::kAesNi: return cpu_has_aes_ni() ? "aes-ni" : "aes-ni(evp)";
    case AesCtrImpl::kAuto: break;
  }
  if (cpu_has_vaes()) return "auto(vaes)";
  return cpu_has_aes_ni() ? "auto(aes-ni)" : "auto(evp)";
}

// The VAES batch: 16 blocks.
constexpr size_t kBatch = 256;

CtrParams random_params(std::mt19937_64& rng) {
  CtrParams p;
  for (auto& b : p.key) b = uint8_t(rng());
  for (auto& b : p.iv) b = uint8_t(rng());
  return p;
}

Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes out(n);
  for (auto& b : out) b = uint8_t(rng());
  return out;
}

// The IV with its low 64 bits (big-endian iv[8..16)) replaced by `lo`.
CtrParams with_low_half(CtrParams p, uint64_t lo) {
  for (int i = 0; i < 8; ++i) p.iv[size_t(15 - i)] = uint8_t(lo >> (8 * i));
  return p;
}

// The reference: data XOR the first data.size() bytes of EVP AES-256-CTR (key, iv).
Bytes evp_reference(const CtrParams& p, const Bytes& data) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  Bytes out(data.size() + 16);
  int n = 0;
  bool ok = ctx != nullptr &&
            EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), nullptr, p.key.data(), p.iv.data()) == 1 &&
            EVP_EncryptUpdate(ctx, out.data(), &n, data.data(), int(data.size())) == 1 &&
            size_t(n) == data.size();
  EVP_CIPHER_CTX_free(ctx);
  EXPECT_TRUE(ok);
  out.resize(data.size());
  return out;
}

// Applies `ctr` to `data` in pieces of the given sizes (summing to data.size()).
void apply_in_pieces(AesCtr& ctr, Bytes& data, const std::vector<size_t>& pieces) {
  size_t off = 0;
  for (size_t n : pieces) {
    ctr.apply(data.data() + off, n);
    off += n;
  }
  ASSERT_EQ(off, data.size());
}

// `plain` through a fresh AesCtr (p, impl), applied in pieces of the given sizes.
Bytes apply_fresh(const CtrParams& p, AesCtrImpl impl, const Bytes& plain,
                  const std::vector<size_t>& pieces) {
  AesCtr ctr(p, impl);
  EXPECT_TRUE(ctr.valid());
  Bytes data = plain;
  apply_in_pieces(ctr, data, pieces);
  return data;
}

std::vector<size_t> random_pieces(std::mt19937_64& rng, size_t total, size_t max_piece) {
  std::vector<size_t> pieces;
  while (total > 0) {
    size_t n = std::min<size_t>(total, rng() % (max_piece + 1));  // 0-byte pieces too
    pieces.push_back(n);
    total -= n;
  }
  return pieces;
}

// Whole, byte by byte and random splits of a buffer (64 KiB unless given), for every
// implementation.
void check_64k(const CtrParams& p, std::mt19937_64& rng, size_t size = k64K) {
  const Bytes plain = random_bytes(rng, size);
  const Bytes expected = evp_reference(p, plain);
  for (AesCtrImpl impl : impls()) {
    SCOPED_TRACE(impl_name(impl));
    std::vector<std::vector<size_t>> cases = {{size}, std::vector<size_t>(size, 1)};
    for (size_t max_piece : {17, 200, 3000, 20000}) {
      cases.push_back(random_pieces(rng, size, max_piece));
    }
    // A short first piece, so that every later whole-batch run starts mid-block.
    cases.push_back({7, size - 7});
    cases.push_back({kBatch - 1, kBatch + 1, size - 2 * kBatch});
    for (size_t c = 0; c < cases.size(); ++c) {
      EXPECT_TRUE(apply_fresh(p, impl, plain, cases[c]) == expected) << "split case " << c;
    }
  }
}

TEST(CryptoAesCtr, ReportsImplementation) {
  std::printf("AesCtr AES-NI path: %s, VAES batches: %s\n", cpu_has_aes_ni() ? "yes" : "no (EVP)",
              cpu_has_vaes() ? "yes" : "no");
  CtrParams p;
  AesCtr automatic(p);
  AesCtr aes_ni(p, AesCtrImpl::kAesNi);
  AesCtr evp(p, AesCtrImpl::kEvp);
  EXPECT_TRUE(automatic.valid());
  EXPECT_TRUE(aes_ni.valid());
  EXPECT_TRUE(evp.valid());
  EXPECT_EQ(automatic.uses_aes_ni(), cpu_has_aes_ni());
  EXPECT_EQ(automatic.uses_vaes(), cpu_has_vaes());
  EXPECT_EQ(aes_ni.uses_aes_ni(), cpu_has_aes_ni());
  EXPECT_FALSE(aes_ni.uses_vaes());
  EXPECT_FALSE(evp.uses_aes_ni());
  EXPECT_FALSE(evp.uses_vaes());
  EXPECT_TRUE(!cpu_has_vaes() || cpu_has_aes_ni());
  EXPECT_FALSE(AesCtr().valid());
  // The move keeps the path.
  AesCtr moved(std::move(automatic));
  EXPECT_EQ(moved.uses_vaes(), cpu_has_vaes());
}

// NIST SP 800-38A F.5.5 CTR-AES256.Encrypt, fed whole and in odd splits.
TEST(CryptoAesCtr, NistVector) {
  using mtedge::test::from_hex;
  constexpr auto to_hex = mtedge::test::to_upper_hex;
  CtrParams p;
  const Bytes key = from_hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
  const Bytes iv = from_hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
  std::copy(key.begin(), key.end(), p.key.begin());
  std::copy(iv.begin(), iv.end(), p.iv.begin());
  const Bytes plain = from_hex(
      "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
  const std::string expected =
      "601EC313775789A5B7A7F504BBF3D228F443E3CA4D62B59ACA84E990CACAF5C5"
      "2B0930DAA23DE94CE87017BA2D84988DDFC9C58DB67AADA613C2DD08457941A6";
  for (AesCtrImpl impl : impls()) {
    SCOPED_TRACE(impl_name(impl));
    for (size_t split : {size_t{64}, size_t{1}, size_t{7}, size_t{16}, size_t{33}}) {
      AesCtr ctr(p, impl);
      Bytes data = plain;
      for (size_t off = 0; off < data.size(); off += split) {
        const size_t n = std::min(split, data.size() - off);
        ctr.apply(MutableByteView(data.data() + off, n));
      }
      EXPECT_EQ(to_hex(data), expected) << "split " << split;
    }
  }
}

TEST(CryptoAesCtr, RandomKeys64KWholeBytewiseAndSplitsMatchEvp) {
  std::mt19937_64 rng(1);
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(round);
    check_64k(random_params(rng), rng);
  }
}

// park() drops the round keys between calls; the stream goes on unchanged, also when a call
// resumes inside a keystream block, after skip(), and across a move of a parked context.
TEST(CryptoAesCtr, ParkBetweenCallsMatchesEvp) {
  std::mt19937_64 rng(11);
  const CtrParams p = random_params(rng);
  const Bytes plain = random_bytes(rng, k64K);
  const Bytes expected = evp_reference(p, plain);
  for (AesCtrImpl impl : impls()) {
    SCOPED_TRACE(impl_name(impl));
    AesCtr ctr(p, impl);
    const bool keys_on_heap = ctr.uses_aes_ni();
    EXPECT_FALSE(ctr.has_round_keys());  // built on first use
    Bytes data = plain;
    size_t off = 0;
    for (size_t n : random_pieces(rng, k64K - 1000, 700)) {
      ctr.apply(data.data() + off, n);
      off += n;
      if (n >= 16) {  // shorter pieces may come wholly from the kept keystream block
        EXPECT_EQ(ctr.has_round_keys(), keys_on_heap);
      }
      ctr.park();
      EXPECT_FALSE(ctr.has_round_keys());
    }
    // skip() over 37 bytes (their data is left as it was), then a move of the parked state.
    ctr.skip(37);
    ctr.park();
    AesCtr moved(std::move(ctr));
    EXPECT_FALSE(ctr.valid());
    moved.apply(data.data() + off + 37, k64K - off - 37);
    for (size_t i = off; i < off + 37; ++i) data[i] = expected[i];
    EXPECT_TRUE(data == expected);
  }
}

// A block parked half spent is computed again from the counter, also when the counter has
// just carried into its high half (the block is then the one before the carry).
TEST(CryptoAesCtr, ParkMidBlockAcrossTheCarry) {
  std::mt19937_64 rng(12);
  const CtrParams p = with_low_half(random_params(rng), 0xFFFFFFFFFFFFFFFFull);
  const Bytes plain = random_bytes(rng, 64);
  const Bytes expected = evp_reference(p, plain);
  for (AesCtrImpl impl : impls()) {
    SCOPED_TRACE(impl_name(impl));
    AesCtr ctr(p, impl);
    Bytes data = plain;
    ctr.apply(data.data(), 5);  // 5 bytes of the block of counter ..FF; the counter carried
    ctr.park();
    ctr.apply(data.data() + 5, 11);  // the rest of that block, computed again
    ctr.park();
    ctr.apply(data.data() + 16, 48);
    EXPECT_TRUE(data == expected);
  }
}

// What an idle connection keeps per direction once parked (docs/codecs/obfuscated.md).
TEST(CryptoAesCtr, StateIsSixtyFourBytes) {
  EXPECT_LE(sizeof(AesCtr), 64u);
}

TEST(CryptoAesCtr, CounterCarriesIntoHighHalf) {
  std::mt19937_64 rng(2);
  // 0x..FD is the case asked for; the others put the carry at every position of an
  // 8-block group and of the 4/2/1-block tails.
  for (uint64_t lo : {0xFFFFFFFFFFFFFFFDull, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFF8ull,
                      0xFFFFFFFFFFFFFFF7ull, 0xFFFFFFFFFFFFFFF1ull, 0xFFFFFFFFFFFFF000ull}) {
    SCOPED_TRACE(lo);
    check_64k(with_low_half(random_params(rng), lo), rng);
  }
}

TEST(CryptoAesCtr, CounterWrapsAll128Bits) {
  std::mt19937_64 rng(3);
  CtrParams p = random_params(rng);
  p.iv.fill(0xff);
  check_64k(p, rng);
}

// The carry from the low into the high half at every position of a 16-block VAES batch
// (0x..F5: the 11th block of the first batch; 0x..F0: exactly at the end of the first batch;
// 0x..EF: the last block the vector counter path takes without a carry), in a later batch
// (0x..01 carries after 255 blocks), and with the high half all ones too (the whole 128-bit
// counter wraps inside a batch). 4 KiB and 64 KiB buffers, whole, byte by byte and split.
TEST(CryptoAesCtr, CounterCarriesInsideVaesBatch) {
  std::mt19937_64 rng(9);
  for (uint64_t lo : {0xFFFFFFFFFFFFFFF5ull, 0xFFFFFFFFFFFFFFF0ull, 0xFFFFFFFFFFFFFFEFull,
                      0xFFFFFFFFFFFFFFEEull, 0xFFFFFFFFFFFFFFE8ull, 0xFFFFFFFFFFFFFFE0ull,
                      0xFFFFFFFFFFFFFFFEull, 0xFFFFFFFFFFFFFF01ull}) {
    for (bool hi_all_ones : {false, true}) {
      SCOPED_TRACE(testing::Message() << std::hex << lo << " hi_all_ones " << hi_all_ones);
      CtrParams p = with_low_half(random_params(rng), lo);
      if (hi_all_ones) std::fill(p.iv.begin(), p.iv.begin() + 8, uint8_t{0xff});
      check_64k(p, rng, 4096);
      check_64k(p, rng, 4096 + 16 * 5 + 3);
    }
  }
  CtrParams p = with_low_half(random_params(rng), 0xFFFFFFFFFFFFFFF5ull);
  std::fill(p.iv.begin(), p.iv.begin() + 8, uint8_t{0xff});
  check_64k(p, rng);
}

// Lengths around the VAES batch boundaries, each from a fresh context after a prefix of
// 0, 1, 15, 16 or 100 bytes (so the batches start on and off block boundaries), then all
// of them one after another on one context, near a carry and away from one.
TEST(CryptoAesCtr, LengthsAroundVaesBatchesMatchEvp) {
  std::mt19937_64 rng(10);
  std::vector<size_t> lengths;
  for (size_t batches : {1, 2, 3, 4, 16, 64}) {
    for (size_t delta : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{127},
                         size_t{128}, size_t{129}}) {
      lengths.push_back(batches * kBatch - delta);
      lengths.push_back(batches * kBatch + delta);
    }
  }
  std::sort(lengths.begin(), lengths.end());
  lengths.erase(std::unique(lengths.begin(), lengths.end()), lengths.end());
  for (uint64_t lo : {uint64_t{0x0123456789abcdefull}, uint64_t{0xFFFFFFFFFFFFFFF5ull},
                      uint64_t{0xFFFFFFFFFFFFFFE0ull}, uint64_t{0xFFFFFFFFFFFFFFFFull}}) {
    CtrParams p = with_low_half(random_params(rng), lo);
    if (lo == 0xFFFFFFFFFFFFFFFFull) p.iv.fill(0xff);  // the all-ones IV
    SCOPED_TRACE(testing::Message() << std::hex << lo);
    for (AesCtrImpl impl : impls()) {
      SCOPED_TRACE(impl_name(impl));
      for (size_t prefix : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{100}}) {
        for (size_t len : lengths) {
          const Bytes plain = random_bytes(rng, prefix + len);
          const Bytes expected = evp_reference(p, plain);
          ASSERT_TRUE(apply_fresh(p, impl, plain, {prefix, len}) == expected)
              << "prefix " << prefix << " len " << len;
        }
      }
      size_t total = 0;
      for (size_t len : lengths) total += len;
      const Bytes plain = random_bytes(rng, total);
      EXPECT_TRUE(apply_fresh(p, impl, plain, lengths) == evp_reference(p, plain));
    }
  }
}

// The implementations against each other on one long stream cut into random pieces of up
// to 40 KiB, with a carry into the high half partway through.
TEST(CryptoAesCtr, AllImplementationsAgreeOnLongStreams) {
  std::mt19937_64 rng(11);
  const size_t size = 1 << 20;
  // The low half carries after 0x8000 blocks (512 KiB into the stream).
  const CtrParams p = with_low_half(random_params(rng), 0xFFFFFFFFFFFF8000ull);
  const Bytes plain = random_bytes(rng, size);
  const Bytes expected = evp_reference(p, plain);
  for (AesCtrImpl impl : impls()) {
    SCOPED_TRACE(impl_name(impl));
    EXPECT_TRUE(apply_fresh(p, impl, plain, random_pieces(rng, size, 40000)) == expected);
  }
}

TEST(CryptoAesCtr, LengthsZeroTo300MatchEvp) {
  std::mt19937_64 rng(4);
  const CtrParams p = with_low_half(random_params(rng), 0xFFFFFFFFFFFFFFF0ull);
  const CtrParams q = random_params(rng);
  for (AesCtrImpl impl : impls()) {
    SCOPED_TRACE(impl_name(impl));
    // Each length from a fresh context.
    for (size_t len = 0; len <= 300; ++len) {
      for (const CtrParams* params : {&p, &q}) {
        const Bytes plain = random_bytes(rng, len);
        AesCtr ctr(*params, impl);
        Bytes data = plain;
        ctr.apply(data);
        EXPECT_TRUE(data == evp_reference(*params, plain)) << "len " << len;
      }
    }
    // All lengths 0..300 one after another on one context (45150 bytes of one stream).
    const Bytes plain = random_bytes(rng, 300 * 301 / 2);
    std::vector<size_t> pieces;
    for (size_t len = 0; len <= 300; ++len) pieces.push_back(len);
    EXPECT_TRUE(apply_fresh(p, impl, plain, pieces) == evp_reference(p, plain));
  }
}

TEST(CryptoAesCtr, SkipThenApplyMatchesEvp) {
  std::mt19937_64 rng(5);
  for (uint64_t lo : {uint64_t{0x0123456789abcdefull}, uint64_t{0xFFFFFFFFFFFFFFFDull}}) {
    const CtrParams p = with_low_half(random_params(rng), lo);
    const Bytes plain = random_bytes(rng, k64K);
    const Bytes expected = evp_reference(p, plain);
    for (AesCtrImpl impl : impls()) {
      SCOPED_TRACE(impl_name(impl));
      for (size_t first : {size_t{0}, size_t{1}, size_t{5}, size_t{16}, size_t{64}, size_t{100}}) {
        for (size_t gap : {size_t{0}, size_t{1}, size_t{11}, size_t{15}, size_t{16}, size_t{17},
                           size_t{128}, size_t{1000}, size_t{4099}}) {
          // apply(first), skip(gap), apply(rest): the rest matches the reference at its offset.
          AesCtr ctr(p, impl);
          Bytes data = plain;
          ctr.apply(data.data(), first);
          ctr.skip(gap);
          const size_t from = first + gap;
          ctr.apply(data.data() + from, data.size() - from);
          EXPECT_EQ(0, std::memcmp(data.data(), expected.data(), first));
          EXPECT_EQ(0, std::memcmp(data.data() + from, expected.data() + from, data.size() - from))
              << "first " << first << " gap " << gap;
        }
      }
      // Many small skips and applies interleaved.
      AesCtr ctr(p, impl);
      Bytes data = plain;
      std::vector<bool> applied(data.size(), false);
      size_t off = 0;
      while (off < data.size()) {
        size_t n = std::min<size_t>(data.size() - off, rng() % 70);
        if (rng() % 2) {
          ctr.skip(n);
        } else {
          ctr.apply(data.data() + off, n);
          for (size_t i = off; i < off + n; ++i) applied[i] = true;
        }
        off += n;
      }
      for (size_t i = 0; i < data.size(); ++i) {
        ASSERT_EQ(data[i], applied[i] ? expected[i] : plain[i]) << i;
      }
    }
  }
}

TEST(CryptoAesCtr, MoveKeepsTheStream) {
  std::mt19937_64 rng(6);
  const CtrParams p = random_params(rng);
  const Bytes plain = random_bytes(rng, 1000);
  const Bytes expected = evp_reference(p, plain);
  for (AesCtrImpl impl : impls()) {
    SCOPED_TRACE(impl_name(impl));
    Bytes data = plain;
    AesCtr a(p, impl);
    a.apply(data.data(), 7);
    AesCtr b(std::move(a));
    EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from is !valid()
    b.apply(data.data() + 7, 500);
    AesCtr c;
    c = std::move(b);
    EXPECT_FALSE(b.valid());  // NOLINT(bugprone-use-after-move)
    c.apply(data.data() + 507, data.size() - 507);
    EXPECT_TRUE(data == expected);
    AesCtr d(random_params(rng), impl);
    d = std::move(c);  // releases d's own state
    EXPECT_TRUE(d.valid());
  }
}

TEST(CryptoAesCtr, KeystreamProbeMatchesEvp) {
  std::mt19937_64 rng(7);
  for (uint64_t lo :
       {uint64_t{7}, uint64_t{0xFFFFFFFFFFFFFFFDull}, uint64_t{0xFFFFFFFFFFFFFFFFull}}) {
    CtrParams p = with_low_half(random_params(rng), lo);
    if (lo == 0xFFFFFFFFFFFFFFFFull) p.iv.fill(0xff);
    const Bytes zeros(4096, 0);
    const Bytes stream = evp_reference(p, zeros);
    for (uint64_t off = 0; off + 16 <= stream.size(); off += 1 + rng() % 40) {
      const size_t count = std::min<size_t>(16 - off % 16, 1 + rng() % 16);
      uint8_t probe[16];
      aes_ctr_keystream_at(p, off, probe, count);
      EXPECT_EQ(0, std::memcmp(probe, stream.data() + off, count)) << off;
    }
  }
}

}  // namespace
}  // namespace mtedge::crypto
