// SHA-256 compression on SHA-NI. Only the functions here are compiled for the SHA target
// (attributes, no global -msha), and callers check the CPU at run time.
#include "crypto/sha256_ni.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cstring>

#include "crypto/sha256_ni_impl.h"
#define MTEDGE_HAVE_SHANI 1
#endif

namespace mtedge::crypto::shani {

#if MTEDGE_HAVE_SHANI

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

}  // namespace

MTEDGE_SHANI_TARGET void sha256_short_x2(const uint8_t* a, size_t a_size, const uint8_t* b,
                                         size_t b_size, uint8_t digest_a[32],
                                         uint8_t digest_b[32]) {
  uint8_t block_a[64], block_b[64];
  pad_one_block(block_a, a, a_size);
  pad_one_block(block_b, b, b_size);
  detail::State sa = detail::load_state(kInitialState);
  detail::State sb = sa;
  detail::compress_x2(sa, block_a, sb, block_b);
  detail::store_digest(sa, digest_a);
  detail::store_digest(sb, digest_b);
}

#else

void sha256_short_x2(const uint8_t*, size_t, const uint8_t*, size_t, uint8_t*, uint8_t*) {}
void sha256_blocks(uint32_t*, const uint8_t*, size_t) {}

#endif

}  // namespace mtedge::crypto::shani
