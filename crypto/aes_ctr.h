// AES-256-CTR (obfuscated2 and its fake-TLS envelope): one keystream per direction, created
// once and kept for the connection's whole life (obfuscated2 never re-keys; the counter runs on
// across packets, quick-ack tokens and transport errors in stream order).
//
// The counter block is the 16-byte IV taken as a 128-bit big-endian integer, incremented
// per 16-byte block over all 128 bits (OpenSSL's CTR mode; what every MTProto client does).
//
// Two implementations, byte-identical:
// - AES-NI (when cpu_has_aes_ni(), crypto/cpu_features.h): the key, the 128-bit counter and
//   how much of the current keystream block is spent live inline in the AesCtr object
//   (64 bytes); the 15 round keys and the current keystream block (256 bytes) in one BlockPool
//   block, built from the key when first needed and dropped by park(), so an idle connection
//   keeps 64 bytes per direction (a block parked half spent is computed again from the
//   counter). 8 blocks in flight for bulk data.
//   On CPUs that also have VAES and AVX2 with the YMM state enabled by the OS (cpu_has_vaes()),
//   apply() runs bulk data in batches of 16 blocks (256 bytes) in ymm registers, and what is
//   left (< 256 bytes) on the 8/4/2/1-block AES-NI code; AesCtrImpl::kAesNi turns VAES off.
// - OpenSSL EVP (the fallback on CPUs without AES-NI, or forced with AesCtrImpl::kEvp): one
//   heap-allocated EVP_CIPHER_CTX per direction (656 bytes of heap each, measured).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/bytes.h"
#include "crypto/aes_key.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace mtedge::crypto {

using AesIv = std::array<uint8_t, 16>;

struct CtrParams {
  AesKey key{};
  AesIv iv{};
};

enum class AesCtrImpl : uint8_t {
  kAuto,   // AES-NI when cpu_has_aes_ni() (with VAES batches when cpu_has_vaes()), else EVP
  kAesNi,  // AES-NI without the VAES batches (EVP without AES-NI): tests and benchmarks
  kEvp,    // always the EVP fallback (tests and benchmarks compare the implementations)
};

namespace detail {
// The 15 AES-256 encryption round keys and the current keystream block (256 bytes, 16-byte
// aligned); defined in aes_ctr.cc.
struct AesRoundKeys;

// All of an AesCtr's state: the AES-NI fields are used when `aes_ni`, `evp` otherwise. Builds
// for other CPUs have no AES-NI path, so they carry only the EVP pointer.
struct alignas(16) AesCtrState {
#if defined(__x86_64__) || defined(__i386__)
  uint8_t key[32] = {};  // the AES-256 key (round_keys is rebuilt from it)
  uint64_t ctr_hi = 0;   // the next counter block, a 128-bit integer (host order)
  uint64_t ctr_lo = 0;
  union {
    AesRoundKeys* round_keys = nullptr;  // aes_ni: owned; nullptr until needed, after park()
    EVP_CIPHER_CTX* evp;                 // !aes_ni: the fallback, owned
  };
  uint8_t used = 16;  // bytes of the current keystream block already spent (16: none left)
#else
  EVP_CIPHER_CTX* evp = nullptr;  // the fallback, owned
#endif
  bool aes_ni = false;
  bool vaes = false;  // the AES-NI path runs bulk data on VAES too (never set off x86)
};
}  // namespace detail

// One direction's keystream. Move-only; a moved-from AesCtr is !valid().
class AesCtr {
 public:
  AesCtr() = default;
  explicit AesCtr(const CtrParams& params, AesCtrImpl impl = AesCtrImpl::kAuto);
  AesCtr(AesCtr&& other) noexcept;
  AesCtr& operator=(AesCtr&& other) noexcept;
  AesCtr(const AesCtr&) = delete;
  AesCtr& operator=(const AesCtr&) = delete;
  ~AesCtr();

  bool valid() const { return s_.aes_ni || s_.evp != nullptr; }
  bool uses_aes_ni() const { return s_.aes_ni; }
  bool uses_vaes() const { return s_.vaes; }
  // XORs the next data.size() keystream bytes into data (encrypt == decrypt).
  void apply(MutableByteView data) { apply(data.data(), data.size()); }
  void apply(uint8_t* data, size_t size);
  // Advances the keystream by `count` bytes without data.
  void skip(size_t count);
  // Frees (and wipes) the round keys; the next apply() rebuilds them from the key, which costs
  // one key expansion (tens of ns). For connections gone quiet. No-op on the EVP path.
  void park();
  // Whether the round keys are allocated (AES-NI path): false after park() until the next
  // apply().
  bool has_round_keys() const;

 private:
  void release() noexcept;
  void disown() noexcept;

  detail::AesCtrState s_;
};

// The `count` (<= 16) keystream bytes at byte `offset` of the stream (key, iv), computed with
// one AES block encryption and no CTR context (AES-NI when available): a cheap probe used to test a
// candidate key before building full contexts.
void aes_ctr_keystream_at(const CtrParams& params, uint64_t offset, uint8_t* out, size_t count);

}  // namespace mtedge::crypto
