// Handling secret bytes (keys, MACs, digests, DH exponents) so that neither timing nor leftover
// memory gives them away.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mtedge::crypto {

// Whether a[0..size) == b[0..size), in time that depends on `size` only (not on where the
// inputs differ), so a peer cannot learn a correct prefix byte by byte from response timing.
bool equal_ct(const uint8_t* a, const uint8_t* b, size_t size);

// Overwrites p[0..size) with zeros in a way the compiler cannot drop as a dead store.
void wipe(void* p, size_t size);

}  // namespace mtedge::crypto
