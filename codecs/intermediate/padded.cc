#include "codecs/intermediate/padded.h"

#include <cassert>

#include "base/mix64.h"
#include "codecs/core/small_packet.h"
#include "codecs/intermediate/intermediate.h"

namespace mtedge::codecs::intermediate {

ParseResult PaddedFramer::parse(MutableByteView in) {
  if (in.size() < 4) return ParseResult::need(4);
  const uint32_t word = load_le32(in.data());
  bool quick_ack = false;
  if (word & kQuickAckBit) {
    if (role_ == Role::kClient) return quick_ack_result(4, word);
    quick_ack = true;
  }
  const uint32_t tlen = word & ~kQuickAckBit;
  if (tlen == 0) return ParseResult::fail(CodecError::kBadLength);
  // A client's frame must hold at least one word besides padding; a server's short frames
  // are transport units (NOP, quick ack, error) read below.
  if (role_ == Role::kServer && tlen < 4) return ParseResult::fail(CodecError::kBadLength);
  const size_t total = 4 + size_t(tlen);
  if (in.size() < total) return ParseResult::need(total);
  if (role_ == Role::kClient && tlen < kSmallPacketLimit) {
    return classify_small_server_payload(ByteView(in.data() + 4, tlen), total);
  }
  return packet_result(total, 4, tlen & ~3u, quick_ack);
}

uint64_t PaddedFramer::next_random() {
  // splitmix64: tiny, fast, and good enough for padding that only has to vary.
  return mix64(rng_state_ += 0x9e3779b97f4a7c15ull);
}

void PaddedFramer::append_padded(ByteView body, uint32_t ack_bit, Bytes& out) {
  assert(body.size() < kQuickAckBit - 3);
  const uint64_t r = next_random();
  const size_t pad = r & 3;
  append_le32(out, static_cast<uint32_t>(body.size() + pad) | ack_bit);
  append(out, body);
  for (size_t i = 0; i < pad; ++i) out.push_back(static_cast<uint8_t>(r >> (8 * (i + 1))));
}

void PaddedFramer::encode_packet(ByteView payload, bool quick_ack_request, Bytes& out) {
  append_padded(payload, (role_ == Role::kClient && quick_ack_request) ? kQuickAckBit : 0, out);
}

void PaddedFramer::encode_quick_ack(uint32_t token, Bytes& out) {
  // The raw form: understood by tdlib and Telethon alike, and never mistaken for a packet.
  append_le32(out, token | kQuickAckBit);
}

void PaddedFramer::encode_transport_error(int32_t code, Bytes& out) {
  // 4 + 0..3 bytes: well under the 16 bytes below which a client reads it as an error.
  uint8_t body[4];
  store_le32(body, static_cast<uint32_t>(code));
  append_padded(ByteView(body, 4), 0, out);
}

void PaddedFramer::encode_tag(Bytes& out) {
  append_le32(out, kPaddedTag);
}

}  // namespace mtedge::codecs::intermediate
