#include "mtproto/message/message.h"

#include <cstring>

#include "crypto/aes_ige.h"
#include "crypto/secret_bytes.h"

namespace mtedge::mtproto {
namespace {

void store_le64(uint8_t* p, uint64_t v) {
  store_le32(p, uint32_t(v));
  store_le32(p + 4, uint32_t(v >> 32));
}

// Minimum padding for `unpadded` bytes of header+body: 12..27 bytes to reach a multiple of 16.
size_t min_padding(size_t unpadded) {
  return kMinPadding + (16 - (unpadded + kMinPadding) % 16) % 16;
}

}  // namespace

uint64_t peek_auth_key_id(ByteView payload) {
  return payload.size() < 8 ? 0 : load_le64(payload.data());
}

Result<DecryptedMessage> decrypt_message(const AuthKey& key, MutableByteView payload,
                                         Direction dir) {
  if (payload.size() < kEncryptedHeaderSize + 48) {
    return Status::error("encrypted message too short [size = " + std::to_string(payload.size()) +
                         "]");
  }
  if (load_le64(payload.data()) != key.id() || key.empty()) {
    return Status::error("encrypted message: auth_key_id does not match the key");
  }
  // Trailing (len - 24) % 16 bytes are transport padding (padded intermediate), not ciphertext.
  const size_t enc_size = (payload.size() - kEncryptedHeaderSize) & ~size_t{15};
  DecryptedMessage m;
  std::memcpy(m.msg_key.data(), payload.data() + 8, 16);
  uint8_t* plain = payload.data() + kEncryptedHeaderSize;

  // Decrypt and msg_key_large = SHA256(auth_key[88+x .. 120+x) || plaintext) in one pass.
  const AesKeyIv kiv = derive_aes_key_iv(key, m.msg_key, dir);
  const std::array<uint8_t, 32> large = crypto::aes_ige_decrypt_sha256(
      kiv.key, kiv.iv, plain, plain, enc_size, key.slice(88 + kdf_x(dir), 32).first<32>());
  if (!crypto::equal_ct(large.data() + 8, m.msg_key.data(), 16)) {
    return Status::error("encrypted message: msg_key mismatch");
  }
  m.quick_ack_token = load_le32(large.data()) | 0x80000000u;

  m.salt = load_le64(plain);
  m.session_id = load_le64(plain + 8);
  m.msg_id = load_le64(plain + 16);
  m.seq_no = load_le32(plain + 24);
  const size_t length = load_le32(plain + 28);
  if (length % 4 != 0 || length > enc_size - kPlaintextHeaderSize) {
    return Status::error(
        "encrypted message: bad message_data_length [length = " + std::to_string(length) +
        ", decrypted = " + std::to_string(enc_size) + "]");
  }
  const size_t pad = enc_size - kPlaintextHeaderSize - length;
  if (pad < kMinPadding || pad > kMaxPadding) {
    return Status::error(
        "encrypted message: padding out of range [padding = " + std::to_string(pad) + "]");
  }
  m.body = MutableByteView(plain + kPlaintextHeaderSize, length);
  return m;
}

size_t encrypted_size(size_t body_size) {
  const size_t unpadded = kPlaintextHeaderSize + body_size;
  return kEncryptedHeaderSize + unpadded + min_padding(unpadded);
}

Status encrypt_message(const AuthKey& key, const OutgoingMessage& msg, Bytes& out,
                       const crypto::RandomSource& random, const EncryptOptions& options,
                       uint32_t* quick_ack_token) {
  const size_t body_size = msg.body.size();
  if (body_size % 4 != 0) {
    return Status::error(
        "encrypt: body size not a multiple of 4 [size = " + std::to_string(body_size) + "]");
  }
  if (body_size > 0x7fffffff - 2048) {
    return Status::error("encrypt: body too large [size = " + std::to_string(body_size) + "]");
  }
  const size_t unpadded = kPlaintextHeaderSize + body_size;
  const size_t pad_min = min_padding(unpadded);
  size_t extra = options.extra_padding & ~size_t{15};
  if (pad_min + extra > kMaxPadding) extra = (kMaxPadding - pad_min) & ~size_t{15};
  const size_t pad = pad_min + extra;
  const size_t plain_size = unpadded + pad;

  const size_t start = out.size();
  out.resize(start + kEncryptedHeaderSize + plain_size);
  uint8_t* head = out.data() + start;
  uint8_t* plain = head + kEncryptedHeaderSize;
  store_le64(plain, msg.salt);
  store_le64(plain + 8, msg.session_id);
  store_le64(plain + 16, msg.msg_id);
  store_le32(plain + 24, msg.seq_no);
  store_le32(plain + 28, static_cast<uint32_t>(body_size));
  if (body_size > 0) std::memcpy(plain + kPlaintextHeaderSize, msg.body.data(), body_size);
  random(MutableByteView(plain + unpadded, pad));

  const MsgKeyResult mk = compute_msg_key(key, ByteView(plain, plain_size), options.dir);
  store_le64(head, key.id());
  std::memcpy(head + 8, mk.msg_key.data(), 16);
  const AesKeyIv kiv = derive_aes_key_iv(key, mk.msg_key, options.dir);
  crypto::aes_ige_encrypt(kiv.key, kiv.iv, plain, plain, plain_size);
  if (quick_ack_token != nullptr) *quick_ack_token = mk.quick_ack_token;
  return Status::ok();
}

}  // namespace mtedge::mtproto
