// MTProto 2.0 encrypted messages (docs/spec/wire-notes.md §6): decrypt + verify in place, and
// encrypt.
//
//   payload   = auth_key_id u64 | msg_key 16 | AES-256-IGE(plaintext)
//   plaintext = salt u64 | session_id u64 | msg_id u64 | seq_no u32 | length u32 |
//               message_data (length bytes, length % 4 == 0) | padding 12..1024, total % 16 == 0
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/random.h"
#include "mtproto/keys/auth_key.h"
#include "mtproto/keys/kdf.h"

namespace mtedge::mtproto {

inline constexpr size_t kEncryptedHeaderSize = 24;  // auth_key_id + msg_key
inline constexpr size_t kPlaintextHeaderSize = 32;  // salt .. length
inline constexpr size_t kMinPadding = 12;
inline constexpr size_t kMaxPadding = 1024;

struct DecryptedMessage {
  uint64_t salt = 0;
  uint64_t session_id = 0;
  uint64_t msg_id = 0;
  uint32_t seq_no = 0;
  // message_data, a view into the caller's payload buffer (decrypted in place).
  MutableByteView body;
  MsgKey msg_key{};
  // Quick-ack token for this message: LE u32 of msg_key_large[0..4) | 0x80000000.
  uint32_t quick_ack_token = 0;
};

// Reads auth_key_id from a transport payload; nullopt-like 0 if payload < 8 bytes.
// (0 is also the id of unencrypted messages: check the size first.)
uint64_t peek_auth_key_id(ByteView payload);

// Decrypts and verifies one message, in place. `payload` is the whole transport payload
// (auth_key_id | msg_key | encrypted data [| transport padding]); `key` must be the key whose
// id is in the payload. `dir` is the direction of the message (kClientToServer on the server).
// Checks (§6.4 steps 2-4): auth_key_id equals key.id(); trailing (len-24) % 16 bytes are
// ignored; encrypted part >= 48 bytes; msg_key recomputed over all decrypted bytes and compared
// in constant time; length % 4 == 0, length <= decrypted - 32, padding in [12, 1024].
// Any failure returns an error and the caller treats all of them alike (drop / -404): which
// check failed must not reach the peer. On failure the payload bytes are unspecified.
Result<DecryptedMessage> decrypt_message(const AuthKey& key, MutableByteView payload,
                                         Direction dir = Direction::kClientToServer);

struct OutgoingMessage {
  uint64_t salt = 0;
  uint64_t session_id = 0;
  uint64_t msg_id = 0;
  uint32_t seq_no = 0;
  ByteView body;  // message_data, size % 4 == 0
};

struct EncryptOptions {
  Direction dir = Direction::kServerToClient;
  // Extra random padding wanted beyond the minimum, in bytes (rounded down to 16, total padding
  // capped at 1024). 0 = minimum padding 12..27 (tdlib-style clients may use buckets).
  size_t extra_padding = 0;
};

// Size of the payload encrypt_message appends for a body of `body_size` bytes and no extra
// padding.
size_t encrypted_size(size_t body_size);

// Encrypts `msg` and appends the whole payload (auth_key_id | msg_key | ciphertext) to `out`.
// Padding bytes come from `random`. Fails (appending nothing) if body.size() % 4 != 0 or the
// body is larger than 2^31 - 1 bytes. Also returns the quick-ack token the peer would compute
// through `quick_ack_token` when non-null.
Status encrypt_message(const AuthKey& key, const OutgoingMessage& msg, Bytes& out,
                       const crypto::RandomSource& random, const EncryptOptions& options = {},
                       uint32_t* quick_ack_token = nullptr);

}  // namespace mtedge::mtproto
