// Internal: SHA-256 on the x86 SHA extensions (SHA-NI). Only call when cpu_has_sha_ni()
// (crypto/cpu_features.h); builds for other CPUs have empty stubs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mtedge::crypto::shani {

// H0..H7 of a fresh SHA-256 (FIPS 180-4 §5.3.3).
inline constexpr uint32_t kInitialState[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// Runs the SHA-256 compression function over `blocks` 64-byte blocks. `state` is the eight
// working words H0..H7 in host order.
void sha256_blocks(uint32_t state[8], const uint8_t* data, size_t blocks);

// SHA-256 of two short messages (each at most 55 bytes, i.e. one padded block) computed
// together, interleaved.
void sha256_short_x2(const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size,
                     uint8_t digest_a[32], uint8_t digest_b[32]);

}  // namespace mtedge::crypto::shani
