// How a client reads a short server->client payload (shared by every TCP framer's client role).
//
// No MTProto packet is shorter than 16 bytes (an unencrypted one has at least 24), so a
// payload below 16 bytes is a transport-level unit, read the way tdlib's Transport::read
// does: i32 code 0 = NOP, code -1 (with >= 8 bytes) = quick-ack token in bytes [4..8),
// any other negative code = transport error. Anything else short is malformed.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "codecs/core/framer.h"

namespace mtedge::codecs {

inline constexpr size_t kSmallPacketLimit = 16;

// `unit_size` = the bytes the whole unit occupies; `payload` = its payload bytes
// (fewer than kSmallPacketLimit). Fills kind/value/size of the result.
inline ParseResult classify_small_server_payload(ByteView payload, size_t unit_size) {
  if (payload.size() < 4) return ParseResult::fail(CodecError::kBadServerPacket);
  ParseResult r;
  r.size = unit_size;
  const int32_t code = static_cast<int32_t>(load_le32(payload.data()));
  if (code == 0) {
    r.kind = ParseResult::Kind::kSkip;
  } else if (code == -1 && payload.size() >= 8) {
    r.kind = ParseResult::Kind::kQuickAck;
    r.value = static_cast<int32_t>(load_le32(payload.data() + 4));
  } else if (code < 0) {
    r.kind = ParseResult::Kind::kTransportError;
    r.value = code;
  } else {
    return ParseResult::fail(CodecError::kBadServerPacket);
  }
  return r;
}

inline ParseResult packet_result(size_t unit_size, size_t offset, size_t payload_size,
                                 bool quick_ack) {
  ParseResult r;
  r.kind = ParseResult::Kind::kPacket;
  r.size = unit_size;
  r.payload_offset = offset;
  r.payload_size = payload_size;
  r.quick_ack = quick_ack;
  return r;
}

inline ParseResult quick_ack_result(size_t unit_size, uint32_t token) {
  ParseResult r;
  r.kind = ParseResult::Kind::kQuickAck;
  r.size = unit_size;
  r.value = static_cast<int32_t>(token);
  return r;
}

}  // namespace mtedge::codecs
