// Internal: AES-256-IGE (and raw ECB) on AES-NI, behind crypto/aes_ige.h. Only call these when
// cpu_has_aes_ni() (crypto/cpu_features.h); builds for other CPUs have empty stubs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mtedge::crypto::aesni {

void ige_encrypt(const uint8_t key[32], const uint8_t iv[32], const uint8_t* in, uint8_t* out,
                 size_t size);
void ige_decrypt(const uint8_t key[32], const uint8_t iv[32], const uint8_t* in, uint8_t* out,
                 size_t size);
// IGE-decrypts `size` bytes (size % 16 == 0, size >= 32) and computes
// digest = SHA256(prefix[0..32) || plaintext) in the same pass: the SHA-NI compression of each
// 64-byte piece runs while the (latency-bound) IGE chain decrypts the next one. Requires
// AES-NI and SHA-NI (cpu_has_sha_ni()).
void ige_decrypt_sha256(const uint8_t key[32], const uint8_t iv[32], const uint8_t* in,
                        uint8_t* out, size_t size, const uint8_t prefix[32], uint8_t digest[32]);

void ecb_encrypt(const uint8_t key[32], const uint8_t* in, uint8_t* out, size_t size, bool chained);

}  // namespace mtedge::crypto::aesni
