#include "codecs/full/full.h"

#include <libdeflate.h>

#include <cassert>

#include "codecs/core/small_packet.h"

namespace mtedge::codecs::full {

uint32_t crc32(ByteView bytes) {
  // libdeflate's PCLMUL CRC-32 is ~10x faster than zlib's on this hardware.
  return libdeflate_crc32(0, bytes.data(), bytes.size());
}

ParseResult FullFramer::parse(MutableByteView in) {
  if (in.size() < 4) return ParseResult::need(4);
  const uint32_t word = load_le32(in.data());
  bool quick_ack = false;
  if (word & kQuickAckBit) {
    if (role_ == Role::kClient) return quick_ack_result(4, word);
    quick_ack = true;
  }
  const uint32_t total_len = word & ~kQuickAckBit;
  // A frame carries at least one payload word, and only whole words.
  if (total_len < kOverhead + 4 || total_len % 4 != 0) {
    return ParseResult::fail(CodecError::kBadLength);
  }
  if (in.size() < total_len) return ParseResult::need(total_len);
  const size_t body = total_len - 4;
  if (crc32(ByteView(in.data(), body)) != load_le32(in.data() + body)) {
    return ParseResult::fail(CodecError::kBadCrc);
  }
  if (load_le32(in.data() + 4) != recv_seqno_) return ParseResult::fail(CodecError::kBadSeqno);
  const size_t payload = total_len - kOverhead;
  ParseResult r = (role_ == Role::kClient && payload < kSmallPacketLimit)
                      ? classify_small_server_payload(ByteView(in.data() + 8, payload), total_len)
                      : packet_result(total_len, 8, payload, quick_ack);
  if (r.kind != ParseResult::Kind::kError) ++recv_seqno_;
  return r;
}

void FullFramer::append_frame(ByteView payload, Bytes& out) {
  assert(payload.size() % 4 == 0 && payload.size() < kQuickAckBit - kOverhead);
  const size_t start = out.size();
  append_le32(out, static_cast<uint32_t>(payload.size() + kOverhead));
  append_le32(out, send_seqno_++);
  append(out, payload);
  append_le32(out, crc32(ByteView(out.data() + start, out.size() - start)));
}

void FullFramer::encode_packet(ByteView payload, bool /*quick_ack_request*/, Bytes& out) {
  append_frame(payload, out);
}

void FullFramer::encode_quick_ack(uint32_t /*token*/, Bytes& /*out*/) {
  // No server->client quick-ack form exists for the full transport (see full.h).
}

void FullFramer::encode_transport_error(int32_t code, Bytes& out) {
  uint8_t body[4];
  store_le32(body, static_cast<uint32_t>(code));
  append_frame(ByteView(body, 4), out);
}

void FullFramer::encode_tag(Bytes& /*out*/) {}

}  // namespace mtedge::codecs::full
