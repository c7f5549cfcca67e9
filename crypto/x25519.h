// X25519 key generation (RFC 7748), for key shares that must look like a real TLS server's.
#pragma once

#include <cstdint>

namespace mtedge::crypto {

// Writes the public key of a freshly generated X25519 key pair (the private key is dropped);
// random bytes if OpenSSL cannot generate X25519 keys. Thread-safe.
void x25519_public_key(uint8_t out[32]);

}  // namespace mtedge::crypto
