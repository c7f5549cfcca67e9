#include "mtproto/handshake/unencrypted.h"

namespace mtedge::mtproto {

Result<UnencryptedMessage> parse_unencrypted(ByteView payload) {
  if (payload.size() < kUnencryptedHeaderSize + 4)
    return Status::error("unencrypted message too short");
  if (load_le64(payload.data()) != 0)
    return Status::error("unencrypted message with non-zero auth_key_id");
  UnencryptedMessage m;
  m.msg_id = load_le64(payload.data() + 8);
  uint32_t length = load_le32(payload.data() + 16);
  size_t available = payload.size() - kUnencryptedHeaderSize;
  if (length < 4 || length > available)
    return Status::error(
        "unencrypted message length out of range [length = " + std::to_string(length) +
        ", available = " + std::to_string(available) + "]");
  m.body = payload.subspan(kUnencryptedHeaderSize, length);
  m.constructor = load_le32(m.body.data());
  return m;
}

Bytes build_unencrypted(uint64_t msg_id, ByteView body) {
  Bytes out;
  out.reserve(kUnencryptedHeaderSize + body.size());
  append_le32(out, 0);
  append_le32(out, 0);
  append_le32(out, static_cast<uint32_t>(msg_id));
  append_le32(out, static_cast<uint32_t>(msg_id >> 32));
  append_le32(out, static_cast<uint32_t>(body.size()));
  append(out, body);
  return out;
}

uint64_t make_server_msg_id(uint64_t unix_ms, uint64_t previous) {
  uint64_t id = ((unix_ms / 1000) << 32) | (((unix_ms % 1000) << 22) & 0xffffffffu);
  id = (id & ~uint64_t{3}) | 1;
  if (id <= previous) id = ((previous + 4) & ~uint64_t{3}) | 1;
  return id;
}

}  // namespace mtedge::mtproto
