// Small OpenSSL helpers for this codec: SHA-256 with a pre-fetched digest, HMAC-SHA256,
// constant-time compare, and random bytes. Internal to codecs/obfuscated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace mtedge::codecs::obfuscated {

using Sha256 = std::array<uint8_t, 32>;

// SHA-256 of a || b.
Sha256 sha256(ByteView a, ByteView b = {});
// HMAC-SHA256(key, a || b).
Sha256 hmac_sha256(ByteView key, ByteView a, ByteView b = {});
// Constant-time equality of two equally long buffers.
bool equal_ct(const uint8_t* a, const uint8_t* b, size_t size);
// Cryptographically random bytes (OpenSSL RAND_bytes).
void random_bytes(uint8_t* out, size_t size);
inline void random_bytes(MutableByteView out) {
  random_bytes(out.data(), out.size());
}
uint32_t random_u32();

}  // namespace mtedge::codecs::obfuscated
