#include "codecs/intermediate/intermediate.h"

#include <cassert>

#include "codecs/core/small_packet.h"

namespace mtedge::codecs::intermediate {

ParseResult IntermediateFramer::parse(MutableByteView in) {
  if (in.size() < 4) return ParseResult::need(4);
  const uint32_t word = load_le32(in.data());
  bool quick_ack = false;
  if (word & kQuickAckBit) {
    if (role_ == Role::kClient) return quick_ack_result(4, word);
    quick_ack = true;
  }
  const uint32_t len = word & ~kQuickAckBit;
  // Plain intermediate carries whole 32-bit words; anything else is a confused peer (or a
  // padded client on the wrong tag) and would not re-frame into abridged or full.
  if (len == 0 || len % 4 != 0) return ParseResult::fail(CodecError::kBadLength);
  const size_t total = 4 + size_t(len);
  if (in.size() < total) return ParseResult::need(total);
  if (role_ == Role::kClient && len < kSmallPacketLimit) {
    return classify_small_server_payload(ByteView(in.data() + 4, len), total);
  }
  return packet_result(total, 4, len, quick_ack);
}

void IntermediateFramer::encode_packet(ByteView payload, bool quick_ack_request, Bytes& out) {
  assert(payload.size() % 4 == 0 && payload.size() < kQuickAckBit);
  uint32_t word = static_cast<uint32_t>(payload.size());
  if (role_ == Role::kClient && quick_ack_request) word |= kQuickAckBit;
  append_le32(out, word);
  append(out, payload);
}

void IntermediateFramer::encode_quick_ack(uint32_t token, Bytes& out) {
  append_le32(out, token | kQuickAckBit);
}

void IntermediateFramer::encode_transport_error(int32_t code, Bytes& out) {
  append_le32(out, 4);
  append_le32(out, static_cast<uint32_t>(code));
}

void IntermediateFramer::encode_tag(Bytes& out) {
  append_le32(out, kTag);
}

}  // namespace mtedge::codecs::intermediate
