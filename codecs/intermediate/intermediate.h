// Intermediate transport (tag 0xeeeeeeee), docs/spec/wire-notes.md §1.2. See
// docs/codecs/intermediate.md.
//
// Frame: u32 LE length (bit 31 = the client's quick-ack request) + payload. The length is
// a non-zero multiple of 4. The server's quick-ack token is 4 raw bytes (LE, MSB set),
// which a client reads as a "length" >= 0x80000000.
#pragma once

#include <cstdint>

#include "codecs/core/framer.h"

namespace mtedge::codecs::intermediate {

inline constexpr uint32_t kTag = 0xeeeeeeee;
inline constexpr uint32_t kQuickAckBit = 0x80000000u;

class IntermediateFramer final : public Framer {
 public:
  explicit IntermediateFramer(Role role) : role_(role) {}

  TransportKind kind() const override { return TransportKind::kIntermediate; }
  ParseResult parse(MutableByteView in) override;
  // `payload.size()` must be a multiple of 4 and below 2^31.
  void encode_packet(ByteView payload, bool quick_ack_request, Bytes& out) override;
  void encode_quick_ack(uint32_t token, Bytes& out) override;
  void encode_transport_error(int32_t code, Bytes& out) override;
  void encode_tag(Bytes& out) override;
  size_t max_overhead() const override { return 4; }

 private:
  Role role_;
};

}  // namespace mtedge::codecs::intermediate
