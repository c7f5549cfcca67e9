// Internal: SHA-256 on the x86 SHA extensions (SHA-NI). Only call when available().
#pragma once

#include <cstddef>
#include <cstdint>

namespace mtedge::mtproto::shani {

// True if this CPU has SHA-NI (+SSSE3/SSE4.1); evaluated once.
bool available();

// Runs the SHA-256 compression function over `blocks` 64-byte blocks. `state` is the eight
// working words H0..H7 in host order.
void sha256_blocks(uint32_t state[8], const uint8_t* data, size_t blocks);

// SHA-256 of two short messages (each at most 55 bytes, i.e. one padded block) computed
// together, interleaved.
void sha256_short_x2(const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size,
                     uint8_t digest_a[32], uint8_t digest_b[32]);

}  // namespace mtedge::mtproto::shani
