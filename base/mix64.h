// splitmix64's finalizer: a bijective 64-bit mix with full avalanche (every output bit
// depends on every input bit). Fast and not cryptographic: for hash tables, padding bytes
// and rendezvous weights.
#pragma once

#include <cstdint>

namespace mtedge {

inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

}  // namespace mtedge
