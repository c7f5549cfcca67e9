// MTProto 2.0 key derivation (docs/spec/wire-notes.md §6.2, §2) and the DH-handshake derived values
// (§7.4).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "base/bytes.h"
#include "crypto/aes_ige.h"
#include "mtproto/keys/auth_key.h"

namespace mtedge::mtproto {

using MsgKey = std::array<uint8_t, 16>;
using Int128 = std::array<uint8_t, 16>;
using Int256 = std::array<uint8_t, 32>;

// x in the MTProto 2.0 formulas: 0 for client->server messages, 8 for server->client.
enum class Direction : uint8_t { kClientToServer = 0, kServerToClient = 8 };
inline size_t kdf_x(Direction d) {
  return static_cast<size_t>(d);
}

struct MsgKeyResult {
  MsgKey msg_key;            // msg_key_large[8..24)
  uint32_t quick_ack_token;  // LE u32 of msg_key_large[0..4) | 0x80000000
};

// msg_key_large = SHA256(auth_key[88+x .. 120+x) || plaintext), plaintext including padding.
MsgKeyResult compute_msg_key(const AuthKey& key, ByteView plaintext, Direction dir);

struct AesKeyIv {
  crypto::AesKey key;
  crypto::AesIgeIv iv;
};
// aes_key/aes_iv from msg_key (sha256_a / sha256_b construction of §6.2).
AesKeyIv derive_aes_key_iv(const AuthKey& key, const MsgKey& msg_key, Direction dir);

// Handshake temporary key/iv for server_DH_params_ok and set_client_DH_params (§7.4 item 3):
// key = SHA1(new_nonce||server_nonce) || SHA1(server_nonce||new_nonce)[0..12);
// iv  = SHA1(server_nonce||new_nonce)[12..20) || SHA1(new_nonce||new_nonce) || new_nonce[0..4).
AesKeyIv handshake_tmp_aes_key_iv(const Int256& new_nonce, const Int128& server_nonce);

// new_nonce_hashN = SHA1(new_nonce || byte N || auth_key_aux_hash)[4..20); N = 1 ok, 2 retry,
// 3 fail.
Int128 new_nonce_hash(const Int256& new_nonce, uint8_t n, const std::array<uint8_t, 8>& aux_hash);
// server_DH_params_fail.new_nonce_hash = SHA1(new_nonce)[4..20).
Int128 new_nonce_hash_fail(const Int256& new_nonce);

// Initial server_salt = new_nonce[0..8) XOR server_nonce[0..8), as a LE u64 (the wire bytes of
// the salt field are those 8 bytes).
uint64_t initial_server_salt(const Int256& new_nonce, const Int128& server_nonce);

}  // namespace mtedge::mtproto
