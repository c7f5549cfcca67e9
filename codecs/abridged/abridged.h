// Abridged transport (tag byte 0xef), docs/spec/wire-notes.md §1.1. See docs/codecs/abridged.md.
//
// Frame: L = payload/4; L < 0x7f -> 1 byte L; else 0x7f + 3-byte LE L; then the payload.
// Bit 7 of the first byte is the client's quick-ack request (0x80|L, 0xff long form).
// The server never sends a first byte >= 0x80 for a packet: that byte means "quick-ack
// token" (4 raw bytes, token big-endian).
#pragma once

#include <cstdint>

#include "codecs/core/framer.h"

namespace mtedge::codecs::abridged {

inline constexpr uint8_t kTag = 0xef;
// Largest payload the 3-byte length can describe.
inline constexpr size_t kMaxPayload = size_t(0xffffff) * 4;

class AbridgedFramer final : public Framer {
 public:
  explicit AbridgedFramer(Role role) : role_(role) {}

  TransportKind kind() const override { return TransportKind::kAbridged; }
  ParseResult parse(MutableByteView in) override;
  // `payload.size()` must be a multiple of 4 and at most kMaxPayload.
  void encode_packet(ByteView payload, bool quick_ack_request, Bytes& out) override;
  void encode_quick_ack(uint32_t token, Bytes& out) override;
  void encode_transport_error(int32_t code, Bytes& out) override;
  void encode_tag(Bytes& out) override;
  size_t max_overhead() const override { return 4; }

 private:
  Role role_;
};

}  // namespace mtedge::codecs::abridged
