// SHA-1, SHA-256 and HMAC-SHA256 on OpenSSL 3 with pre-fetched algorithms and reused
// contexts: OpenSSL 3's one-shot SHA256() looks the algorithm up on every call, which is
// ~3x slower on the small inputs hashed per connection and message (obfuscated2 keys, fake-TLS
// digests, msg_key, KDF, handshake hashes).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>

#include "base/bytes.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace mtedge::crypto {

using Sha1Digest = std::array<uint8_t, 20>;
using Sha256Digest = std::array<uint8_t, 32>;

// SHA-256 runs on the CPU's SHA extensions when cpu_has_sha_ni() (crypto/cpu_features.h),
// otherwise on EVP; both give the same digests. The in-tree SHA-NI code is a little faster than
// EVP on small inputs and, unlike EVP, can be interleaved with other work (two-lane KDF, hash
// fused into IGE decrypt). SHA-1 always uses EVP.

// One-shot digests. Thread-safe (each thread reuses its own context).
Sha1Digest sha1(ByteView data);
Sha256Digest sha256(ByteView data);
// Digest of the concatenation of `parts`, without copying them together.
Sha1Digest sha1(std::initializer_list<ByteView> parts);
Sha256Digest sha256(std::initializer_list<ByteView> parts);

// SHA-256 through OpenSSL EVP regardless of SHA-NI (reference for tests and benchmarks).
Sha256Digest sha256_openssl(std::initializer_list<ByteView> parts);

// HMAC-SHA256(key, data) and HMAC over the concatenation of `parts` (RFC 2104; keys longer
// than the 64-byte block are hashed first).
Sha256Digest hmac_sha256(ByteView key, ByteView data);
Sha256Digest hmac_sha256(ByteView key, std::initializer_list<ByteView> parts);

// Incremental SHA-256 for multi-part input (e.g. msg_key = SHA256(auth_key part || plaintext)).
// reset() starts a new digest and reuses the object. Not copyable; one thread at a time.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void reset();
  void update(ByteView data);
  void update(const void* data, size_t size);
  // Finishes the digest; call reset() before reusing the object.
  Sha256Digest finish();

 private:
  EVP_MD_CTX* ctx_ = nullptr;  // only without SHA-NI
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

// Incremental SHA-1, same contract as Sha256.
class Sha1 {
 public:
  Sha1();
  ~Sha1();
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;

  void reset();
  void update(ByteView data);
  void update(const void* data, size_t size);
  Sha1Digest finish();

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace mtedge::crypto
