// Internal: the AES-256 round keys and single-block encryption on AES-NI intrinsics, shared by
// AES-CTR (crypto/aes_ctr.cc) and AES-IGE (crypto/aes_ni_ige.cc).
//
// Only the functions marked MTEDGE_AESNI are compiled for the "aes,sse4.1" target (via
// attributes, not a global -maes), so the rest of the binary runs on any x86-64 CPU; callers
// check cpu_has_aes_ni() (crypto/cpu_features.h) at run time first. Include from .cc files only.
//
// On x86 MTEDGE_HAVE_AESNI is 1 and the intrinsics below exist; elsewhere this header declares
// nothing.
#pragma once

#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <smmintrin.h>  // SSE4.1
#include <wmmintrin.h>  // AES-NI

#define MTEDGE_HAVE_AESNI 1
#define MTEDGE_AESNI __attribute__((target("aes,sse4.1")))
#endif

#if MTEDGE_HAVE_AESNI

namespace mtedge::crypto::aesni {

// The 15 AES-256 round keys (240 bytes).
struct RoundKeys {
  __m128i k[15];
};

namespace detail {

MTEDGE_AESNI inline __m128i expand_a(__m128i prev, __m128i assist) {
  assist = _mm_shuffle_epi32(assist, 0xff);
  __m128i t = _mm_slli_si128(prev, 4);
  prev = _mm_xor_si128(prev, t);
  t = _mm_slli_si128(t, 4);
  prev = _mm_xor_si128(prev, t);
  t = _mm_slli_si128(t, 4);
  prev = _mm_xor_si128(prev, t);
  return _mm_xor_si128(prev, assist);
}

MTEDGE_AESNI inline __m128i expand_b(__m128i even, __m128i prev_odd) {
  __m128i assist = _mm_shuffle_epi32(_mm_aeskeygenassist_si128(even, 0x00), 0xaa);
  __m128i t = _mm_slli_si128(prev_odd, 4);
  prev_odd = _mm_xor_si128(prev_odd, t);
  t = _mm_slli_si128(t, 4);
  prev_odd = _mm_xor_si128(prev_odd, t);
  t = _mm_slli_si128(t, 4);
  prev_odd = _mm_xor_si128(prev_odd, t);
  return _mm_xor_si128(prev_odd, assist);
}

}  // namespace detail

MTEDGE_AESNI inline __m128i load(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
MTEDGE_AESNI inline void store(uint8_t* p, __m128i v) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v);
}

// FIPS-197 AES-256 key schedule; the rcon must be an immediate, hence the macro.
#define MTEDGE_EXPAND_STEP(i, rcon)                                                      \
  rk.k[i] = detail::expand_a(rk.k[(i)-2], _mm_aeskeygenassist_si128(rk.k[(i)-1], rcon)); \
  rk.k[(i) + 1] = detail::expand_b(rk.k[i], rk.k[(i)-1]);

MTEDGE_AESNI inline void expand_encrypt_key(const uint8_t key[32], RoundKeys& rk) {
  rk.k[0] = load(key);
  rk.k[1] = load(key + 16);
  MTEDGE_EXPAND_STEP(2, 0x01)
  MTEDGE_EXPAND_STEP(4, 0x02)
  MTEDGE_EXPAND_STEP(6, 0x04)
  MTEDGE_EXPAND_STEP(8, 0x08)
  MTEDGE_EXPAND_STEP(10, 0x10)
  MTEDGE_EXPAND_STEP(12, 0x20)
  rk.k[14] = detail::expand_a(rk.k[12], _mm_aeskeygenassist_si128(rk.k[13], 0x40));
}
#undef MTEDGE_EXPAND_STEP

MTEDGE_AESNI inline __m128i encrypt_block(const RoundKeys& rk, __m128i x) {
  x = _mm_xor_si128(x, rk.k[0]);
  for (int i = 1; i < 14; ++i) x = _mm_aesenc_si128(x, rk.k[i]);
  return _mm_aesenclast_si128(x, rk.k[14]);
}

}  // namespace mtedge::crypto::aesni

#endif  // MTEDGE_HAVE_AESNI
