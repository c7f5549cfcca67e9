#include "mtproto/keys/auth_key.h"

#include <algorithm>
#include <cassert>

#include "crypto/hash.h"

namespace mtedge::mtproto {

AuthKey::AuthKey(std::span<const uint8_t, kSize> key) {
  std::copy(key.begin(), key.end(), data_.begin());
  crypto::Sha1Digest h = crypto::sha1(ByteView(data_));
  id_ = load_le64(h.data() + 12);
}

Result<AuthKey> AuthKey::from_bytes(ByteView key) {
  if (key.size() != kSize) {
    return Status::error("auth key must be 256 bytes [size = " + std::to_string(key.size()) + "]");
  }
  return AuthKey(key.first<kSize>());
}

bool AuthKey::empty() const {
  return id_ == 0 && std::all_of(data_.begin(), data_.end(), [](uint8_t b) { return b == 0; });
}

std::array<uint8_t, 8> AuthKey::aux_hash() const {
  crypto::Sha1Digest h = crypto::sha1(ByteView(data_));
  std::array<uint8_t, 8> aux;
  std::copy(h.begin(), h.begin() + 8, aux.begin());
  return aux;
}

uint64_t AuthKey::aux_hash_u64() const {
  return load_le64(aux_hash().data());
}

ByteView AuthKey::slice(size_t offset, size_t size) const {
  assert(offset + size <= kSize);
  return ByteView(data_).subspan(offset, size);
}

uint64_t auth_key_id_of(std::span<const uint8_t, AuthKey::kSize> key) {
  crypto::Sha1Digest h = crypto::sha1(ByteView(key.data(), key.size()));
  return load_le64(h.data() + 12);
}

}  // namespace mtedge::mtproto
