// Cryptographically secure random bytes (OpenSSL RAND_bytes; thread-safe).
#pragma once

#include <cstdint>
#include <functional>

#include "base/bytes.h"

namespace mtedge::crypto {

// Fills `out` with random bytes. RAND_bytes failing means the process has no entropy source:
// that is fatal (abort), never a silently weak value.
void random_bytes(MutableByteView out);
inline void random_bytes(uint8_t* out, size_t size) {
  random_bytes(MutableByteView(out, size));
}
uint32_t random_u32();
uint64_t random_u64();

// A source of random bytes passed to code that needs randomness (padding, nonces), so tests
// can make it deterministic. Default: random_bytes.
using RandomSource = std::function<void(MutableByteView)>;
inline RandomSource secure_random_source() {
  return [](MutableByteView out) { random_bytes(out); };
}

}  // namespace mtedge::crypto
