#include "crypto/aes_ctr.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cassert>
#include <climits>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "crypto/aes_ni.h"
#include "crypto/block_pool.h"
#include "crypto/cpu_features.h"

#if MTEDGE_HAVE_AESNI
#include <immintrin.h>
#endif

namespace mtedge::crypto {

#if MTEDGE_HAVE_AESNI
struct detail::AesRoundKeys {
  aesni::RoundKeys rk;
  alignas(16) uint8_t block[16];  // the current keystream block (counter - 1)
};
#endif

namespace {

// Fetched once: implicit fetches (EVP_aes_256_ctr()) look the algorithm up on every init.
const EVP_CIPHER* ctr_cipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
  return cipher;
}
const EVP_CIPHER* ecb_cipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
  return cipher;
}

// Out of memory or a missing cipher leaves nothing sane to do in a codec.
[[noreturn]] void crypto_failure() {
  std::abort();
}

void evp_apply(EVP_CIPHER_CTX* ctx, uint8_t* p, size_t left) {
  while (left > 0) {
    int chunk = left > size_t(INT_MAX / 2) ? INT_MAX / 2 : int(left);
    int written = 0;
    if (EVP_EncryptUpdate(ctx, p, &written, p, chunk) != 1 || written != chunk) crypto_failure();
    p += chunk;
    left -= size_t(chunk);
  }
}

#if MTEDGE_HAVE_AESNI

using aesni::RoundKeys;

uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// counter += blocks over all 128 bits (wrapping at 2^128, as OpenSSL does).
void add_blocks(uint64_t& hi, uint64_t& lo, uint64_t blocks) {
  const uint64_t before = lo;
  lo += blocks;
  if (lo < before) ++hi;
}

// Where round keys live: a BlockPool, so that the round keys of many connections parked at
// once leave the process (the pool unmaps its empty mappings) instead of staying as holes
// in the malloc heap. Never destroyed: AesCtr objects with static storage may outlive it.
BlockPool& round_key_pool() {
  static BlockPool* pool = new BlockPool(sizeof(detail::AesRoundKeys));
  return *pool;
}

// The round keys, expanded from the key first if they are not there (new or parked).
MTEDGE_AESNI const RoundKeys& round_keys(detail::AesCtrState& s) {
  if (s.round_keys == nullptr) {
    s.round_keys = new (round_key_pool().allocate()) detail::AesRoundKeys;
    aesni::expand_encrypt_key(s.key, s.round_keys->rk);
  }
  return s.round_keys->rk;
}

// Round key r.
MTEDGE_AESNI inline __m128i load_round_key(const RoundKeys& keys, int r) {
  return _mm_load_si128(&keys.k[r]);
}

// The big-endian counter block for the 128-bit value hi:lo.
MTEDGE_AESNI inline __m128i counter_block(uint64_t hi, uint64_t lo) {
  return _mm_set_epi64x(int64_t(__builtin_bswap64(lo)), int64_t(__builtin_bswap64(hi)));
}

// Counter blocks hi:lo + 0 .. N-1, and hi:lo += N.
template <int N>
MTEDGE_AESNI inline void next_counters(uint64_t& hi, uint64_t& lo, __m128i (&c)[N]) {
  if (lo <= UINT64_MAX - uint64_t(N)) {
    // No carry into hi: add in the little-endian 128-bit vector, then reverse the bytes.
    const __m128i reverse = _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m128i base = _mm_set_epi64x(int64_t(hi), int64_t(lo));
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) {
      c[i] = _mm_shuffle_epi8(_mm_add_epi64(base, _mm_set_epi64x(0, i)), reverse);
    }
    lo += uint64_t(N);
    return;
  }
  for (int i = 0; i < N; ++i) {  // the low half wraps within these blocks
    c[i] = counter_block(hi, lo);
    add_blocks(hi, lo, 1);
  }
}

// XORs N keystream blocks into p[0 .. 16 * N): N independent AES chains interleaved.
template <int N>
MTEDGE_AESNI inline void xor_blocks(const RoundKeys& rk, uint64_t& hi, uint64_t& lo, uint8_t* p) {
  __m128i x[N];
  next_counters<N>(hi, lo, x);
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) x[i] = _mm_xor_si128(x[i], rk.k[0]);
#pragma GCC unroll 13
  for (int r = 1; r < 14; ++r) {
    const __m128i k = rk.k[r];
#pragma GCC unroll 8
    for (int i = 0; i < N; ++i) x[i] = _mm_aesenc_si128(x[i], k);
  }
#pragma GCC unroll 8
  for (int i = 0; i < N; ++i) {
    __m128i ks = _mm_aesenclast_si128(x[i], rk.k[14]);
    aesni::store(p + 16 * i, _mm_xor_si128(ks, aesni::load(p + 16 * i)));
  }
}

// VAES for bulk data: 16 blocks per iteration in 8 ymm registers of two blocks each, the
// round keys broadcast to both lanes. Compiled for "vaes,avx2" by attribute only (plus
// "aes,sse4.1" so the helpers above inline); run only when cpu_has_vaes(). ymm,
// not zmm: on the project VM's Xeon both widths are bound by the AES units (zmm measured
// within 2-3 %, in the noise), and ymm avoids AVX-512 frequency effects and also runs on
// VAES CPUs without AVX-512.
#define MTEDGE_VAES __attribute__((target("aes,sse4.1,vaes,avx2")))

constexpr int kVaesRegs = 8;
constexpr size_t kVaesBlocks = 2 * kVaesRegs;
constexpr size_t kVaesBytes = 16 * kVaesBlocks;  // 256: shorter data stays on plain AES-NI

// XORs the keystream into p[0 .. n - n % kVaesBytes) (n >= kVaesBytes), advancing hi:lo by
// one per block; returns the bytes done. The rest is left to the AES-NI loop.
MTEDGE_VAES size_t vaes_apply(const RoundKeys& keys, uint64_t& hi_ref, uint64_t& lo_ref, uint8_t* p,
                              size_t n) {
  uint64_t hi = hi_ref;  // locals: the stores through p (uint8_t) may alias the references
  uint64_t lo = lo_ref;
  const __m256i reverse = _mm256_broadcastsi128_si256(
      _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  const __m256i lanes = _mm256_set_epi64x(0, 1, 0, 0);  // +0 in lane 0, +1 in lane 1
  const __m256i step = _mm256_set_epi64x(0, 2, 0, 2);
  size_t done = 0;
  for (; n - done >= kVaesBytes; done += kVaesBytes) {
    uint8_t* q = p + done;
    __m256i x[kVaesRegs];
    if (lo <= UINT64_MAX - kVaesBlocks) {
      // No carry into hi: add in the little-endian 128-bit lanes, then reverse their bytes.
      __m256i c = _mm256_add_epi64(
          _mm256_broadcastsi128_si256(_mm_set_epi64x(int64_t(hi), int64_t(lo))), lanes);
#pragma GCC unroll 8
      for (int j = 0; j < kVaesRegs; ++j) {
        x[j] = _mm256_shuffle_epi8(c, reverse);
        c = _mm256_add_epi64(c, step);
      }
      lo += kVaesBlocks;
    } else {  // the low half wraps within these blocks: build them one by one
      alignas(32) uint64_t ctr[2 * kVaesBlocks];
      for (size_t i = 0; i < kVaesBlocks; ++i) {
        ctr[2 * i] = __builtin_bswap64(hi);
        ctr[2 * i + 1] = __builtin_bswap64(lo);
        add_blocks(hi, lo, 1);
      }
#pragma GCC unroll 8
      for (int j = 0; j < kVaesRegs; ++j) {
        x[j] = _mm256_load_si256(reinterpret_cast<const __m256i*>(ctr) + j);
      }
    }
    const __m256i k0 = _mm256_broadcastsi128_si256(load_round_key(keys, 0));
#pragma GCC unroll 8
    for (int j = 0; j < kVaesRegs; ++j) x[j] = _mm256_xor_si256(x[j], k0);
#pragma GCC unroll 13
    for (int r = 1; r < 14; ++r) {
      const __m256i k = _mm256_broadcastsi128_si256(load_round_key(keys, r));
#pragma GCC unroll 8
      for (int j = 0; j < kVaesRegs; ++j) x[j] = _mm256_aesenc_epi128(x[j], k);
    }
    const __m256i k14 = _mm256_broadcastsi128_si256(load_round_key(keys, 14));
#pragma GCC unroll 8
    for (int j = 0; j < kVaesRegs; ++j) {
      __m256i* d = reinterpret_cast<__m256i*>(q) + j;
      _mm256_storeu_si256(
          d, _mm256_xor_si256(_mm256_aesenclast_epi128(x[j], k14), _mm256_loadu_si256(d)));
    }
  }
  hi_ref = hi;
  lo_ref = lo;
  return done;
}

// The counter is written back with ONE 16-byte store (ctr_hi and ctr_lo are adjacent), never
// two 8-byte ones: the compiler may read the pair with one 16-byte load (counter_block), and a
// load needing bytes from two stores cannot be store-forwarded, so it waits until they retire,
// i.e. behind the previous call's AES chain (measured: +10 ns per call ending mid-block).
MTEDGE_AESNI inline void store_counter(detail::AesCtrState& s, uint64_t hi, uint64_t lo) {
  static_assert(offsetof(detail::AesCtrState, ctr_lo) == offsetof(detail::AesCtrState, ctr_hi) + 8);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&s.ctr_hi), _mm_set_epi64x(int64_t(lo), int64_t(hi)));
}

MTEDGE_AESNI void ni_init(detail::AesCtrState& s, const CtrParams& params) {
  std::memcpy(s.key, params.key.data(), sizeof s.key);
  store_counter(s, load_be64(params.iv.data()), load_be64(params.iv.data() + 8));
  s.used = 16;
  s.aes_ni = true;
}

// p[0 .. sizeof(Word)) ^= k.
template <typename Word>
inline void xor_word(uint8_t* p, Word k) {
  Word v;
  std::memcpy(&v, p, sizeof v);
  v ^= k;
  std::memcpy(p, &v, sizeof v);
}

MTEDGE_AESNI inline uint64_t low64(__m128i v) {
#if defined(__x86_64__)
  return uint64_t(_mm_cvtsi128_si64(v));
#else
  return uint64_t(uint32_t(_mm_cvtsi128_si32(v))) |
         uint64_t(uint32_t(_mm_cvtsi128_si32(_mm_srli_si128(v, 4)))) << 32;
#endif
}

// p[0 .. n) ^= the first n bytes of ks (n < 16), in at most four word-sized steps straight
// from the register: a byte loop, or a round trip of the block through memory, costs as
// much here as the AES of a few blocks.
MTEDGE_AESNI inline void xor_partial(uint8_t* p, __m128i ks, size_t n) {
  if (n & 8) {
    xor_word<uint64_t>(p, low64(ks));
    ks = _mm_srli_si128(ks, 8);
    p += 8;
  }
  if (n & 4) {
    xor_word<uint32_t>(p, uint32_t(_mm_cvtsi128_si32(ks)));
    ks = _mm_srli_si128(ks, 4);
    p += 4;
  }
  if (n & 2) {
    xor_word<uint16_t>(p, uint16_t(_mm_cvtsi128_si32(ks)));
    ks = _mm_srli_si128(ks, 2);
    p += 2;
  }
  if (n & 1) *p ^= uint8_t(_mm_cvtsi128_si32(ks));
}

// pshufb masks: loadu(kShiftDown + i) moves byte i of a block to byte 0 (zeros shifted in).
alignas(16) constexpr int8_t kShiftDown[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                               11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1,
                                               -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};

// The keystream block for counter hi:lo, kept with the round keys too; hi:lo += 1.
// Requires s.round_keys (rk is theirs).
MTEDGE_AESNI inline __m128i next_block(detail::AesCtrState& s, const RoundKeys& rk, uint64_t& hi,
                                       uint64_t& lo) {
  const __m128i ks = aesni::encrypt_block(rk, counter_block(hi, lo));
  aesni::store(s.round_keys->block, ks);
  add_blocks(hi, lo, 1);
  return ks;
}

// The current keystream block (the one for counter - 1). After park() it is computed again,
// with the round keys, from the counter: one block encryption, only when a connection wakes
// with a block half spent.
MTEDGE_AESNI __attribute__((noinline)) void rebuild_block(detail::AesCtrState& s) {
  const RoundKeys& rk = round_keys(s);
  uint64_t hi = s.ctr_hi;
  uint64_t lo = s.ctr_lo;
  if (lo-- == 0) --hi;
  aesni::store(s.round_keys->block, aesni::encrypt_block(rk, counter_block(hi, lo)));
}

MTEDGE_AESNI inline __m128i current_block(detail::AesCtrState& s) {
  if (s.round_keys == nullptr) [[unlikely]]
    rebuild_block(s);
  return aesni::load(s.round_keys->block);
}

MTEDGE_AESNI void ni_apply(detail::AesCtrState& s, uint8_t* p, size_t n) {
  // The rest of the current keystream block first.
  if (s.used < 16) {
    // apply() and skip() leave 1..15 bytes spent or a whole block (16), never 0.
    assert(s.used > 0);
    const size_t take = n < size_t(16 - s.used) ? n : size_t(16 - s.used);
    const __m128i rest = _mm_shuffle_epi8(
        current_block(s), _mm_loadu_si128(reinterpret_cast<const __m128i*>(kShiftDown + s.used)));
    xor_partial(p, rest, take);
    s.used = uint8_t(s.used + take);
    p += take;
    n -= take;
  }
  if (n == 0) return;
  const RoundKeys& rk = round_keys(s);
  uint64_t hi = s.ctr_hi;
  uint64_t lo = s.ctr_lo;
  if (s.vaes && n >= kVaesBytes) {
    const size_t done = vaes_apply(rk, hi, lo, p, n);
    p += done;
    n -= done;
  }
  for (; n >= 128; p += 128, n -= 128) xor_blocks<8>(rk, hi, lo, p);
  if (n >= 64) {
    xor_blocks<4>(rk, hi, lo, p);
    p += 64;
    n -= 64;
  }
  if (n >= 32) {
    xor_blocks<2>(rk, hi, lo, p);
    p += 32;
    n -= 32;
  }
  if (n >= 16) {
    xor_blocks<1>(rk, hi, lo, p);
    p += 16;
    n -= 16;
  }
  if (n > 0) {  // a partial block: keep the rest of its keystream for the next call
    const __m128i ks = next_block(s, rk, hi, lo);
    xor_partial(p, ks, n);
    s.used = uint8_t(n);
  }
  store_counter(s, hi, lo);
}

MTEDGE_AESNI void ni_skip(detail::AesCtrState& s, size_t n) {
  const size_t from_block = n < size_t(16 - s.used) ? n : size_t(16 - s.used);
  s.used = uint8_t(s.used + from_block);
  n -= from_block;
  if (n == 0) return;
  uint64_t hi = s.ctr_hi;
  uint64_t lo = s.ctr_lo;
  add_blocks(hi, lo, uint64_t(n / 16));
  if (n % 16 != 0) {
    next_block(s, round_keys(s), hi, lo);
    s.used = uint8_t(n % 16);
  }
  store_counter(s, hi, lo);
}

MTEDGE_AESNI void ni_keystream_block(const uint8_t key[32], const uint8_t counter[16],
                                     uint8_t out[16]) {
  RoundKeys rk;
  aesni::expand_encrypt_key(key, rk);
  aesni::store(out, aesni::encrypt_block(rk, aesni::load(counter)));
}

#else  // no x86: EVP only

void ni_init(detail::AesCtrState&, const CtrParams&) {
  crypto_failure();
}
void ni_apply(detail::AesCtrState&, uint8_t*, size_t) {
  crypto_failure();
}
void ni_skip(detail::AesCtrState&, size_t) {
  crypto_failure();
}
void ni_keystream_block(const uint8_t*, const uint8_t*, uint8_t*) {
  crypto_failure();
}

#endif

}  // namespace

AesCtr::AesCtr(const CtrParams& params, AesCtrImpl impl) {
  if (impl != AesCtrImpl::kEvp && cpu_has_aes_ni()) {
    ni_init(s_, params);
    s_.vaes = impl == AesCtrImpl::kAuto && cpu_has_vaes();
    return;
  }
  s_.evp = EVP_CIPHER_CTX_new();
  if (s_.evp == nullptr || ctr_cipher() == nullptr ||
      EVP_EncryptInit_ex2(s_.evp, ctr_cipher(), params.key.data(), params.iv.data(), nullptr) !=
          1) {
    crypto_failure();
  }
}

AesCtr::AesCtr(AesCtr&& other) noexcept : s_(other.s_) {
  other.disown();
  other.release();
}

AesCtr& AesCtr::operator=(AesCtr&& other) noexcept {
  if (this != &other) {
    release();
    s_ = other.s_;
    other.disown();
    other.release();
  }
  return *this;
}

AesCtr::~AesCtr() {
  release();
}

// Frees the EVP context, wipes the key material and leaves *this !valid().
void AesCtr::release() noexcept {
  if (s_.aes_ni) {
    park();
    OPENSSL_cleanse(&s_, sizeof s_);
  } else {
    EVP_CIPHER_CTX_free(s_.evp);
  }
  s_ = detail::AesCtrState{};
}

void AesCtr::park() {
#if MTEDGE_HAVE_AESNI
  if (!s_.aes_ni || s_.round_keys == nullptr) return;
  OPENSSL_cleanse(s_.round_keys, sizeof *s_.round_keys);
  round_key_pool().free(s_.round_keys);
  s_.round_keys = nullptr;
#endif
}

// The EVP context or the round keys are owned by another AesCtr now.
void AesCtr::disown() noexcept {
  s_.evp = nullptr;
#if MTEDGE_HAVE_AESNI
  s_.round_keys = nullptr;
#endif
}

bool AesCtr::has_round_keys() const {
#if MTEDGE_HAVE_AESNI
  return s_.aes_ni && s_.round_keys != nullptr;
#else
  return false;
#endif
}

void AesCtr::apply(uint8_t* data, size_t size) {
  if (s_.aes_ni) {
    ni_apply(s_, data, size);
    return;
  }
  assert(s_.evp != nullptr);
  evp_apply(s_.evp, data, size);
}

void AesCtr::skip(size_t count) {
  if (s_.aes_ni) {
    ni_skip(s_, count);
    return;
  }
  uint8_t scratch[256];
  while (count > 0) {
    size_t n = count < sizeof scratch ? count : sizeof scratch;
    apply(scratch, n);
    count -= n;
  }
}

void aes_ctr_keystream_at(const CtrParams& params, uint64_t offset, uint8_t* out, size_t count) {
  assert(count <= 16 && (offset % 16) + count <= 16);
  // counter = iv + offset / 16, as a 128-bit big-endian integer.
  uint8_t block[16];
  uint64_t add = offset / 16;
  unsigned carry = 0;
  for (int i = 15; i >= 0; --i) {
    unsigned sum = unsigned(params.iv[size_t(i)]) + unsigned(add & 0xff) + carry;
    block[i] = uint8_t(sum);
    carry = sum >> 8;
    add >>= 8;
  }
  uint8_t stream[32];
  if (cpu_has_aes_ni()) {
    ni_keystream_block(params.key.data(), block, stream);
    std::memcpy(out, stream + offset % 16, count);
    return;
  }
  // One ECB context per thread, bound to the cipher once: re-keying an initialised
  // context costs a third of a full init (no cipher lookup, no context reset).
  thread_local struct EcbCtx {
    EVP_CIPHER_CTX* ctx = nullptr;
    EcbCtx() {
      ctx = EVP_CIPHER_CTX_new();
      if (ctx == nullptr || ecb_cipher() == nullptr ||
          EVP_EncryptInit_ex2(ctx, ecb_cipher(), nullptr, nullptr, nullptr) != 1 ||
          EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
        crypto_failure();
      }
    }
    ~EcbCtx() { EVP_CIPHER_CTX_free(ctx); }
  } ecb;
  int written = 0;
  if (EVP_EncryptInit_ex2(ecb.ctx, nullptr, params.key.data(), nullptr, nullptr) != 1 ||
      EVP_EncryptUpdate(ecb.ctx, stream, &written, block, 16) != 1 || written != 16) {
    crypto_failure();
  }
  std::memcpy(out, stream + offset % 16, count);
}

}  // namespace mtedge::crypto
