// AES-256-IGE on AES-NI. Only the functions here are compiled for the "aes,sse4.1" target (via
// attributes, not a global -maes), so the rest of the binary runs on any x86-64 CPU; callers
// check the CPU at run time first. The encrypt key schedule, the single-block encrypt and the
// target macro are shared with AES-CTR (crypto/aes_ni.h).
#include "crypto/aes_ni_ige.h"

#include "crypto/aes_ni.h"

#if MTEDGE_HAVE_AESNI
#include <cstring>

#include "crypto/sha256_ni.h"
#include "crypto/sha256_ni_impl.h"
#endif

namespace mtedge::crypto::aesni {

#if MTEDGE_HAVE_AESNI

namespace {

// Equivalent inverse cipher keys: reversed order, InvMixColumns on the middle rounds.
MTEDGE_AESNI inline void expand_decrypt_key(const uint8_t key[32], RoundKeys& dk) {
  RoundKeys ek;
  expand_encrypt_key(key, ek);
  dk.k[0] = ek.k[14];
  for (int i = 1; i < 14; ++i) dk.k[i] = _mm_aesimc_si128(ek.k[14 - i]);
  dk.k[14] = ek.k[0];
}

MTEDGE_AESNI inline __m128i decrypt_block(const RoundKeys& dk, __m128i x) {
  x = _mm_xor_si128(x, dk.k[0]);
  for (int i = 1; i < 14; ++i) x = _mm_aesdec_si128(x, dk.k[i]);
  return _mm_aesdeclast_si128(x, dk.k[14]);
}

}  // namespace

MTEDGE_AESNI void ige_encrypt(const uint8_t key[32], const uint8_t iv[32], const uint8_t* in,
                              uint8_t* out, size_t size) {
  RoundKeys rk;
  expand_encrypt_key(key, rk);
  __m128i c_prev = load(iv);
  __m128i p_prev = load(iv + 16);
  for (size_t off = 0; off < size; off += 16) {
    __m128i p = load(in + off);  // loaded before the store: in == out is fine
    __m128i c = _mm_xor_si128(encrypt_block(rk, _mm_xor_si128(p, c_prev)), p_prev);
    store(out + off, c);
    c_prev = c;
    p_prev = p;
  }
}

MTEDGE_AESNI void ige_decrypt(const uint8_t key[32], const uint8_t iv[32], const uint8_t* in,
                              uint8_t* out, size_t size) {
  RoundKeys dk;
  expand_decrypt_key(key, dk);
  __m128i c_prev = load(iv);
  __m128i p_prev = load(iv + 16);
  for (size_t off = 0; off < size; off += 16) {
    __m128i c = load(in + off);
    __m128i p = _mm_xor_si128(decrypt_block(dk, _mm_xor_si128(c, p_prev)), c_prev);
    store(out + off, p);
    c_prev = c;
    p_prev = p;
  }
}

#define MTEDGE_AESNI_SHA __attribute__((target("aes,sha,sse4.1,ssse3")))

MTEDGE_AESNI_SHA void ige_decrypt_sha256(const uint8_t key[32], const uint8_t iv[32],
                                         const uint8_t* in, uint8_t* out, size_t size,
                                         const uint8_t prefix[32], uint8_t digest[32]) {
  RoundKeys dk;
  expand_decrypt_key(key, dk);
  __m128i c_prev = load(iv);
  __m128i p_prev = load(iv + 16);
  auto decrypt_blocks = [&](size_t off, size_t count) MTEDGE_AESNI_SHA {
    for (size_t i = 0; i < count; ++i, off += 16) {
      __m128i c = load(in + off);
      __m128i p = _mm_xor_si128(decrypt_block(dk, _mm_xor_si128(c, p_prev)), c_prev);
      store(out + off, p);
      c_prev = c;
      p_prev = p;
    }
  };
  shani::detail::State sha = shani::detail::load_state(shani::kInitialState);

  // Hash block 0 is prefix || plaintext[0..32); after that, hash blocks are plaintext
  // [32 + 64k, 96 + 64k). Software-pipelined: block k is compressed after the next 64 bytes
  // were decrypted, so the two dependency chains overlap in the CPU.
  uint8_t first[64];
  std::memcpy(first, prefix, 32);
  decrypt_blocks(0, 2);
  std::memcpy(first + 32, out, 32);
  const uint8_t* pending = first;
  size_t done = 32;  // plaintext bytes decrypted; all but the pending block are hashed
  while (done + 64 <= size) {
    decrypt_blocks(done, 4);
    shani::detail::compress(sha, pending);
    pending = out + done;
    done += 64;
  }
  decrypt_blocks(done, (size - done) / 16);
  shani::detail::compress(sha, pending);

  // Tail: plaintext[done, size) (< 64 bytes) plus SHA-256 padding, one or two blocks.
  uint8_t tail[128] = {};
  const size_t rest = size - done;
  std::memcpy(tail, out + done, rest);
  tail[rest] = 0x80;
  const size_t tail_blocks = rest + 1 + 8 <= 64 ? 1 : 2;
  const uint64_t bits = uint64_t(32 + size) * 8;
  for (int i = 0; i < 8; ++i) tail[tail_blocks * 64 - 1 - i] = uint8_t(bits >> (8 * i));
  shani::detail::compress(sha, tail);
  if (tail_blocks == 2) shani::detail::compress(sha, tail + 64);
  shani::detail::store_digest(sha, digest);
}

MTEDGE_AESNI void ecb_encrypt(const uint8_t key[32], const uint8_t* in, uint8_t* out, size_t size,
                              bool chained) {
  RoundKeys rk;
  expand_encrypt_key(key, rk);
  if (chained) {
    // Each block depends on the previous result: the latency-bound chain IGE also has.
    __m128i x = _mm_setzero_si128();
    for (size_t off = 0; off < size; off += 16) {
      x = encrypt_block(rk, _mm_xor_si128(x, load(in + off)));
      store(out + off, x);
    }
    return;
  }
  size_t off = 0;
  for (; off + 64 <= size; off += 64) {  // 4 independent blocks in flight
    __m128i a = _mm_xor_si128(load(in + off), rk.k[0]);
    __m128i b = _mm_xor_si128(load(in + off + 16), rk.k[0]);
    __m128i c = _mm_xor_si128(load(in + off + 32), rk.k[0]);
    __m128i d = _mm_xor_si128(load(in + off + 48), rk.k[0]);
    for (int i = 1; i < 14; ++i) {
      a = _mm_aesenc_si128(a, rk.k[i]);
      b = _mm_aesenc_si128(b, rk.k[i]);
      c = _mm_aesenc_si128(c, rk.k[i]);
      d = _mm_aesenc_si128(d, rk.k[i]);
    }
    store(out + off, _mm_aesenclast_si128(a, rk.k[14]));
    store(out + off + 16, _mm_aesenclast_si128(b, rk.k[14]));
    store(out + off + 32, _mm_aesenclast_si128(c, rk.k[14]));
    store(out + off + 48, _mm_aesenclast_si128(d, rk.k[14]));
  }
  for (; off < size; off += 16) store(out + off, encrypt_block(rk, load(in + off)));
}

#else  // no x86: the portable path is the only one

void ige_encrypt(const uint8_t*, const uint8_t*, const uint8_t*, uint8_t*, size_t) {}
void ige_decrypt(const uint8_t*, const uint8_t*, const uint8_t*, uint8_t*, size_t) {}
void ige_decrypt_sha256(const uint8_t*, const uint8_t*, const uint8_t*, uint8_t*, size_t,
                        const uint8_t*, uint8_t*) {}
void ecb_encrypt(const uint8_t*, const uint8_t*, uint8_t*, size_t, bool) {}

#endif

}  // namespace mtedge::crypto::aesni
