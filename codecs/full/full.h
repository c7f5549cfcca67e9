// Full transport (no tag), docs/spec/wire-notes.md §1.4. See docs/codecs/full.md.
//
// Frame: u32 LE total_len | u32 LE seqno | payload | u32 LE CRC-32 (IEEE) over everything
// before it; total_len = payload + 12. seqno counts frames per direction from 0; both the
// CRC and the seqno are checked on decode and produced on encode.
//
// Quick ack: the old spec lets a client set bit 31 of total_len to ask for one; the server
// role decodes it (it costs nothing: no valid length has that bit). There is no
// server->client quick-ack form in the current spec and real full-transport clients
// (Telethon) would read one as a broken frame, so encode_quick_ack appends nothing and the
// client role never sets the bit. The client role still reads a raw MSB-set 4-byte token
// should a server send one.
#pragma once

#include <cstdint>

#include "codecs/core/framer.h"

namespace mtedge::codecs::full {

inline constexpr size_t kOverhead = 12;  // total_len + seqno + crc
inline constexpr uint32_t kQuickAckBit = 0x80000000u;

// CRC-32 (IEEE 802.3, the zlib polynomial) of `bytes`.
uint32_t crc32(ByteView bytes);

class FullFramer final : public Framer {
 public:
  explicit FullFramer(Role role) : role_(role) {}

  TransportKind kind() const override { return TransportKind::kFull; }
  ParseResult parse(MutableByteView in) override;
  // `payload.size()` must be a multiple of 4 and below 2^31 - 12.
  void encode_packet(ByteView payload, bool quick_ack_request, Bytes& out) override;
  void encode_quick_ack(uint32_t token, Bytes& out) override;
  void encode_transport_error(int32_t code, Bytes& out) override;
  void encode_tag(Bytes& out) override;
  size_t max_overhead() const override { return kOverhead; }

  uint32_t recv_seqno() const { return recv_seqno_; }
  uint32_t send_seqno() const { return send_seqno_; }

 private:
  void append_frame(ByteView payload, Bytes& out);

  Role role_;
  uint32_t recv_seqno_ = 0;  // seqno the next frame from the peer must carry
  uint32_t send_seqno_ = 0;  // seqno of the next frame we encode
};

}  // namespace mtedge::codecs::full
