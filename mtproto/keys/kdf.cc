#include "mtproto/keys/kdf.h"

#include <cstring>

#include "crypto/cpu_features.h"
#include "crypto/hash.h"
#include "crypto/sha256_ni.h"

namespace mtedge::mtproto {

MsgKeyResult compute_msg_key(const AuthKey& key, ByteView plaintext, Direction dir) {
  const size_t x = kdf_x(dir);
  crypto::Sha256Digest large = crypto::sha256({key.slice(88 + x, 32), plaintext});
  MsgKeyResult r;
  std::memcpy(r.msg_key.data(), large.data() + 8, 16);
  r.quick_ack_token = load_le32(large.data()) | 0x80000000u;
  return r;
}

AesKeyIv derive_aes_key_iv(const AuthKey& key, const MsgKey& msg_key, Direction dir) {
  const size_t x = kdf_x(dir);
  crypto::Sha256Digest a, b;
  if (crypto::cpu_has_sha_ni()) {
    // Both 52-byte inputs fit one block: hash them together, interleaved.
    uint8_t in_a[52], in_b[52];
    std::memcpy(in_a, msg_key.data(), 16);
    std::memcpy(in_a + 16, key.data().data() + x, 36);
    std::memcpy(in_b, key.data().data() + 40 + x, 36);
    std::memcpy(in_b + 36, msg_key.data(), 16);
    crypto::shani::sha256_short_x2(in_a, sizeof in_a, in_b, sizeof in_b, a.data(), b.data());
  } else {
    const ByteView mk(msg_key);
    a = crypto::sha256({mk, key.slice(x, 36)});
    b = crypto::sha256({key.slice(40 + x, 36), mk});
  }
  AesKeyIv r;
  std::memcpy(r.key.data(), a.data(), 8);
  std::memcpy(r.key.data() + 8, b.data() + 8, 16);
  std::memcpy(r.key.data() + 24, a.data() + 24, 8);
  std::memcpy(r.iv.data(), b.data(), 8);
  std::memcpy(r.iv.data() + 8, a.data() + 8, 16);
  std::memcpy(r.iv.data() + 24, b.data() + 24, 8);
  return r;
}

AesKeyIv handshake_tmp_aes_key_iv(const Int256& new_nonce, const Int128& server_nonce) {
  const ByteView nn(new_nonce), sn(server_nonce);
  crypto::Sha1Digest h1 = crypto::sha1({nn, sn});
  crypto::Sha1Digest h2 = crypto::sha1({sn, nn});
  crypto::Sha1Digest h3 = crypto::sha1({nn, nn});
  AesKeyIv r;
  std::memcpy(r.key.data(), h1.data(), 20);
  std::memcpy(r.key.data() + 20, h2.data(), 12);
  std::memcpy(r.iv.data(), h2.data() + 12, 8);
  std::memcpy(r.iv.data() + 8, h3.data(), 20);
  std::memcpy(r.iv.data() + 28, new_nonce.data(), 4);
  return r;
}

Int128 new_nonce_hash(const Int256& new_nonce, uint8_t n, const std::array<uint8_t, 8>& aux_hash) {
  const uint8_t nb[1] = {n};
  crypto::Sha1Digest h = crypto::sha1({ByteView(new_nonce), ByteView(nb), ByteView(aux_hash)});
  Int128 r;
  std::memcpy(r.data(), h.data() + 4, 16);
  return r;
}

Int128 new_nonce_hash_fail(const Int256& new_nonce) {
  crypto::Sha1Digest h = crypto::sha1(ByteView(new_nonce));
  Int128 r;
  std::memcpy(r.data(), h.data() + 4, 16);
  return r;
}

uint64_t initial_server_salt(const Int256& new_nonce, const Int128& server_nonce) {
  return load_le64(new_nonce.data()) ^ load_le64(server_nonce.data());
}

}  // namespace mtedge::mtproto
