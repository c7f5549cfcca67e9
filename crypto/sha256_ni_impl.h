// Internal: the SHA-NI SHA-256 compression function as an inline, so that other AES-NI/SHA-NI
// code in the same translation unit can interleave it with its own work. Include only from .cc
// files whose callers are compiled with (a superset of) MTEDGE_SHANI_TARGET and guarded by a
// run-time CPU check.
#pragma once

#include <immintrin.h>

#include <cstdint>

#define MTEDGE_SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

namespace mtedge::crypto::shani::detail {

alignas(16) inline constexpr uint32_t kRound[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

// SHA-256 state in the register layout the SHA instructions use.
struct State {
  __m128i abef;
  __m128i cdgh;
};

MTEDGE_SHANI_TARGET inline State load_state(const uint32_t h[8]) {
  __m128i tmp = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h));
  __m128i s1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h + 4));
  tmp = _mm_shuffle_epi32(tmp, 0xB1);            // CDAB
  s1 = _mm_shuffle_epi32(s1, 0x1B);              // EFGH
  return State{_mm_alignr_epi8(tmp, s1, 8),      // ABEF
               _mm_blend_epi16(s1, tmp, 0xF0)};  // CDGH
}

MTEDGE_SHANI_TARGET inline void store_state(const State& s, uint32_t h[8]) {
  __m128i tmp = _mm_shuffle_epi32(s.abef, 0x1B);                                     // FEBA
  __m128i s1 = _mm_shuffle_epi32(s.cdgh, 0xB1);                                      // DCHG
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_blend_epi16(tmp, s1, 0xF0));   // DCBA
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h + 4), _mm_alignr_epi8(s1, tmp, 8));  // HGFE
}

// The 32-byte big-endian digest of a finished state.
MTEDGE_SHANI_TARGET inline void store_digest(const State& s, uint8_t digest[32]) {
  uint32_t h[8];
  store_state(s, h);
  for (int i = 0; i < 8; ++i) {
    digest[4 * i] = uint8_t(h[i] >> 24);
    digest[4 * i + 1] = uint8_t(h[i] >> 16);
    digest[4 * i + 2] = uint8_t(h[i] >> 8);
    digest[4 * i + 3] = uint8_t(h[i]);
  }
}

// One 64-byte block.
MTEDGE_SHANI_TARGET inline void compress(State& s, const uint8_t* data) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i state0 = s.abef;
  __m128i state1 = s.cdgh;
  __m128i msg[4];
  // 16 groups of 4 rounds; the message schedule runs in the four rotating registers.
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) {
    if (g < 4) {
      msg[g] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * g)),
                                byte_swap);
    }
    __m128i m =
        _mm_add_epi32(msg[g & 3], _mm_load_si128(reinterpret_cast<const __m128i*>(kRound + 4 * g)));
    state1 = _mm_sha256rnds2_epu32(state1, state0, m);
    if (g >= 3 && g < 15) {
      __m128i& next = msg[(g + 1) & 3];
      next = _mm_add_epi32(next, _mm_alignr_epi8(msg[g & 3], msg[(g + 3) & 3], 4));
      next = _mm_sha256msg2_epu32(next, msg[g & 3]);
    }
    m = _mm_shuffle_epi32(m, 0x0E);
    state0 = _mm_sha256rnds2_epu32(state0, state1, m);
    if (g >= 1 && g < 13) msg[(g + 3) & 3] = _mm_sha256msg1_epu32(msg[(g + 3) & 3], msg[g & 3]);
  }
  s.abef = _mm_add_epi32(s.abef, state0);
  s.cdgh = _mm_add_epi32(s.cdgh, state1);
}

// Two independent single blocks, interleaved so both dependency chains are in flight at once
// (the two KDF hashes of every MTProto message).
MTEDGE_SHANI_TARGET inline void compress_x2(State& sa, const uint8_t* da, State& sb,
                                            const uint8_t* db) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i a0 = sa.abef, a1 = sa.cdgh, b0 = sb.abef, b1 = sb.cdgh;
  __m128i ma[4], mb[4];
#pragma GCC unroll 16
  for (int g = 0; g < 16; ++g) {
    if (g < 4) {
      ma[g] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(da + 16 * g)),
                               byte_swap);
      mb[g] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(db + 16 * g)),
                               byte_swap);
    }
    const __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(kRound + 4 * g));
    __m128i xa = _mm_add_epi32(ma[g & 3], k);
    __m128i xb = _mm_add_epi32(mb[g & 3], k);
    a1 = _mm_sha256rnds2_epu32(a1, a0, xa);
    b1 = _mm_sha256rnds2_epu32(b1, b0, xb);
    if (g >= 3 && g < 15) {
      __m128i& na = ma[(g + 1) & 3];
      __m128i& nb = mb[(g + 1) & 3];
      na = _mm_sha256msg2_epu32(_mm_add_epi32(na, _mm_alignr_epi8(ma[g & 3], ma[(g + 3) & 3], 4)),
                                ma[g & 3]);
      nb = _mm_sha256msg2_epu32(_mm_add_epi32(nb, _mm_alignr_epi8(mb[g & 3], mb[(g + 3) & 3], 4)),
                                mb[g & 3]);
    }
    a0 = _mm_sha256rnds2_epu32(a0, a1, _mm_shuffle_epi32(xa, 0x0E));
    b0 = _mm_sha256rnds2_epu32(b0, b1, _mm_shuffle_epi32(xb, 0x0E));
    if (g >= 1 && g < 13) {
      ma[(g + 3) & 3] = _mm_sha256msg1_epu32(ma[(g + 3) & 3], ma[g & 3]);
      mb[(g + 3) & 3] = _mm_sha256msg1_epu32(mb[(g + 3) & 3], mb[g & 3]);
    }
  }
  sa.abef = _mm_add_epi32(sa.abef, a0);
  sa.cdgh = _mm_add_epi32(sa.cdgh, a1);
  sb.abef = _mm_add_epi32(sb.abef, b0);
  sb.cdgh = _mm_add_epi32(sb.cdgh, b1);
}

}  // namespace mtedge::crypto::shani::detail
