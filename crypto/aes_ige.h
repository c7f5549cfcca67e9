// AES-256-IGE (MTProto message and handshake encryption).
//
// IGE runs on AES-NI round intrinsics when cpu_has_aes_ni() (crypto/cpu_features.h) and on
// OpenSSL EVP AES-256-ECB otherwise. OpenSSL's own AES_ige_encrypt does not use AES-NI and is
// ~10x slower; it is used only as a reference in tests and benchmarks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/aes_key.h"

namespace mtedge::crypto {

// IGE IV, OpenSSL AES_ige_encrypt convention: iv[0..16) is the "previous ciphertext block",
// iv[16..32) the "previous plaintext block".
using AesIgeIv = std::array<uint8_t, 32>;

enum class AesImpl {
  kAuto,      // AES-NI if the CPU supports it, else portable
  kAesNi,     // AES-NI intrinsics; only valid when cpu_has_aes_ni()
  kPortable,  // OpenSSL EVP AES-256-ECB per block
};

// The implementation kAuto resolves to on this machine.
AesImpl aes_ige_default_impl();

// AES-256-IGE over `size` bytes (size % 16 == 0, asserted). `in` and `out` may be the same
// pointer (in-place); other overlaps are not allowed. Encrypt: c_i = E(p_i ^ c_{i-1}) ^ p_{i-1};
// decrypt: p_i = D(c_i ^ p_{i-1}) ^ c_{i-1}.
void aes_ige_encrypt(std::span<const uint8_t, 32> key, std::span<const uint8_t, 32> iv,
                     const uint8_t* in, uint8_t* out, size_t size, AesImpl impl = AesImpl::kAuto);
void aes_ige_decrypt(std::span<const uint8_t, 32> key, std::span<const uint8_t, 32> iv,
                     const uint8_t* in, uint8_t* out, size_t size, AesImpl impl = AesImpl::kAuto);

// IGE-decrypts `size` bytes (size % 16 == 0, size >= 32; in == out allowed) and returns
// SHA256(prefix || plaintext) — the MTProto msg_key_large computation — in one pass. With AES-NI
// and SHA-NI the hash of each piece overlaps the IGE chain of the next (one fused loop);
// otherwise it is aes_ige_decrypt followed by sha256.
std::array<uint8_t, 32> aes_ige_decrypt_sha256(std::span<const uint8_t, 32> key,
                                               std::span<const uint8_t, 32> iv, const uint8_t* in,
                                               uint8_t* out, size_t size,
                                               std::span<const uint8_t, 32> prefix,
                                               AesImpl impl = AesImpl::kAuto);

// Raw AES-256 ECB on whole 16-byte blocks with the same backend choice (benchmarks and the
// "AES-NI floor": with `chained` each block's input is the previous output, a serial dependency
// like IGE's). Not for protocol use.
void aes_ecb_encrypt_blocks(std::span<const uint8_t, 32> key, const uint8_t* in, uint8_t* out,
                            size_t size, bool chained, AesImpl impl = AesImpl::kAuto);

}  // namespace mtedge::crypto
