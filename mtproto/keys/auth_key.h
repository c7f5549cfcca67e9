// An MTProto auth key with the values derived from it once, so per-message work is minimal.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::mtproto {

class AuthKey {
 public:
  static constexpr size_t kSize = 256;
  using Data = std::array<uint8_t, kSize>;

  AuthKey() = default;  // empty(): id 0, all-zero data
  // `key` is g^ab mod p as 256 big-endian bytes, left-padded with zeros.
  explicit AuthKey(std::span<const uint8_t, kSize> key);
  // Fails unless key.size() == 256.
  static Result<AuthKey> from_bytes(ByteView key);

  // No key: default-constructed (a real key, g^ab mod p, is never all zeros).
  bool empty() const;
  const Data& data() const { return data_; }
  // auth_key_id: SHA1(auth_key)[12..20) read as a little-endian u64 (wire bytes = those 8 bytes).
  uint64_t id() const { return id_; }
  // auth_key_aux_hash: SHA1(auth_key)[0..8) (used in new_nonce_hashN and as retry_id).
  // Computed on each call (one SHA-1): only handshakes ask, and stored keys stay smaller.
  std::array<uint8_t, 8> aux_hash() const;
  // aux_hash read as a little-endian u64, as it travels in client_DH_inner_data.retry_id.
  uint64_t aux_hash_u64() const;

  // auth_key[offset .. offset+size), asserted in range.
  ByteView slice(size_t offset, size_t size) const;

 private:
  Data data_{};
  uint64_t id_ = 0;
};

// auth_key_id of a 256-byte key without building an AuthKey.
uint64_t auth_key_id_of(std::span<const uint8_t, AuthKey::kSize> key);

}  // namespace mtedge::mtproto
