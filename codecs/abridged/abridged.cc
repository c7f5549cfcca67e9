#include "codecs/abridged/abridged.h"

#include <cassert>

#include "codecs/core/small_packet.h"

namespace mtedge::codecs::abridged {

ParseResult AbridgedFramer::parse(MutableByteView in) {
  if (in.empty()) return ParseResult::need(1);
  const uint8_t first = in[0];
  bool quick_ack = false;
  if (first & 0x80) {
    if (role_ == Role::kClient) {
      // A server never starts a packet with MSB set: this is a quick-ack token, sent
      // big-endian so that its own MSB lands here.
      if (in.size() < 4) return ParseResult::need(4);
      return quick_ack_result(4, load_be32(in.data()));
    }
    quick_ack = true;
  }
  const uint32_t short_len = first & 0x7f;
  size_t header = 1;
  uint32_t words = short_len;
  if (short_len == 0x7f) {
    if (in.size() < 4) return ParseResult::need(4);
    words = load_le24(in.data() + 1);
    // The long form is only for lengths the short form cannot say.
    if (words < 0x7f) return ParseResult::fail(CodecError::kOverlongLength);
    header = 4;
  }
  if (words == 0) return ParseResult::fail(CodecError::kBadLength);
  const size_t payload = size_t(words) * 4;
  const size_t total = header + payload;
  if (in.size() < total) return ParseResult::need(total);
  if (role_ == Role::kClient && payload < kSmallPacketLimit) {
    return classify_small_server_payload(ByteView(in.data() + header, payload), total);
  }
  return packet_result(total, header, payload, quick_ack);
}

void AbridgedFramer::encode_packet(ByteView payload, bool quick_ack_request, Bytes& out) {
  assert(payload.size() % 4 == 0 && payload.size() <= kMaxPayload);
  const uint32_t words = static_cast<uint32_t>(payload.size() / 4);
  // Only a client may set bit 7: from the server it would read as a quick-ack token.
  const uint8_t ack_bit = (role_ == Role::kClient && quick_ack_request) ? 0x80 : 0x00;
  if (words < 0x7f) {
    out.push_back(static_cast<uint8_t>(words) | ack_bit);
  } else {
    const uint8_t header[4] = {static_cast<uint8_t>(0x7f | ack_bit), uint8_t(words),
                               uint8_t(words >> 8), uint8_t(words >> 16)};
    out.insert(out.end(), header, header + 4);
  }
  append(out, payload);
}

void AbridgedFramer::encode_quick_ack(uint32_t token, Bytes& out) {
  // Big-endian so the first byte carries the token's MSB (forced on: it is what tells the
  // client this is not a packet).
  append_be32(out, token | 0x80000000u);
}

void AbridgedFramer::encode_transport_error(int32_t code, Bytes& out) {
  out.push_back(0x01);
  append_le32(out, static_cast<uint32_t>(code));
}

void AbridgedFramer::encode_tag(Bytes& out) {
  out.push_back(kTag);
}

}  // namespace mtedge::codecs::abridged
