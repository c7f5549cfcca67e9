// SHA-256 compression on SHA-NI. Only the functions here are compiled for the SHA target
// (attributes, no global -msha), and callers check the CPU at run time.
#include "crypto/sha256_ni.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

#include <cstring>

#include "crypto/sha256_ni_impl.h"
#define MTEDGE_HAVE_SHANI 1
#endif

namespace mtedge::mtproto::shani {

#if MTEDGE_HAVE_SHANI

namespace {
// CPUID directly: clang 14's __builtin_cpu_supports does not know "sha".
bool detect() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool ssse3 = c & (1u << 9), sse41 = c & (1u << 19);
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool sha = b & (1u << 29);
  return ssse3 && sse41 && sha;
}
}  // namespace

bool available() {
  static const bool yes = detect();
  return yes;
}

MTEDGE_SHANI_TARGET void sha256_blocks(uint32_t state[8], const uint8_t* data, size_t blocks) {
  detail::State s = detail::load_state(state);
  for (; blocks > 0; --blocks, data += 64) detail::compress(s, data);
  detail::store_state(s, state);
}

namespace {
void pad_one_block(uint8_t block[64], const uint8_t* data, size_t size) {
  if (size > 0) std::memcpy(block, data, size);
  block[size] = 0x80;
  std::memset(block + size + 1, 0, 64 - size - 1);
  const uint64_t bits = uint64_t(size) * 8;
  for (int i = 0; i < 8; ++i) block[63 - i] = uint8_t(bits >> (8 * i));
}

MTEDGE_SHANI_TARGET void digest_out(const detail::State& s, uint8_t out[32]) {
  uint32_t h[8];
  detail::store_state(s, h);
  for (int i = 0; i < 8; ++i) {
    out[4 * i] = uint8_t(h[i] >> 24);
    out[4 * i + 1] = uint8_t(h[i] >> 16);
    out[4 * i + 2] = uint8_t(h[i] >> 8);
    out[4 * i + 3] = uint8_t(h[i]);
  }
}

constexpr uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
}  // namespace

MTEDGE_SHANI_TARGET void sha256_short_x2(const uint8_t* a, size_t a_size, const uint8_t* b,
                                         size_t b_size, uint8_t digest_a[32],
                                         uint8_t digest_b[32]) {
  uint8_t block_a[64], block_b[64];
  pad_one_block(block_a, a, a_size);
  pad_one_block(block_b, b, b_size);
  detail::State sa = detail::load_state(kInit);
  detail::State sb = sa;
  detail::compress_x2(sa, block_a, sb, block_b);
  digest_out(sa, digest_a);
  digest_out(sb, digest_b);
}

#else

bool available() {
  return false;
}
void sha256_short_x2(const uint8_t*, size_t, const uint8_t*, size_t, uint8_t*, uint8_t*) {}
void sha256_blocks(uint32_t*, const uint8_t*, size_t) {}

#endif

}  // namespace mtedge::mtproto::shani
