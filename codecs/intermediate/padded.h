// Padded intermediate transport (tag 0xdddddddd), docs/spec/wire-notes.md §1.3. See
// docs/codecs/padded.md.
//
// Frame: u32 LE tlen (bit 31 = the client's quick-ack request) + payload + padding, where
// tlen counts the padding (0..15 bytes from a client, so tlen is any value > 0).
//
// Decoding delivers the first `tlen & ~3` bytes (as MTProxy does): whole 32-bit words, so
// the packet re-frames into any transport. Up to 12 bytes of a peer's padding can remain;
// the MTProto layer strips them (encrypted: ciphertext = (len - 24) & ~15; unencrypted:
// message_data_length). This framer pads 0..3 bytes in both roles (real clients, e.g.
// Telethon, cope with no more), so between two mtedge framers the payload comes back exact.
//
// Quick ack from the server: 4 raw LE bytes with MSB set (the intermediate form). A client
// also accepts the framed form `tlen | ff ff ff ff | token | pad` (< 16 bytes) and the
// framed NOP `tlen | 00 00 00 00 | pad`. Transport errors: `tlen | i32 code | pad`, < 16 bytes.
#pragma once

#include <cstdint>

#include "codecs/core/framer.h"

namespace mtedge::codecs::intermediate {

inline constexpr uint32_t kPaddedTag = 0xdddddddd;
inline constexpr size_t kMaxPeerPadding = 15;

class PaddedFramer final : public Framer {
 public:
  // `seed` seeds the padding generator (splitmix64). Padding is not secret, it only varies.
  PaddedFramer(Role role, uint64_t seed) : role_(role), rng_state_(seed) {}

  TransportKind kind() const override { return TransportKind::kPaddedIntermediate; }
  ParseResult parse(MutableByteView in) override;
  // `payload.size()` must be below 2^31 - 3.
  void encode_packet(ByteView payload, bool quick_ack_request, Bytes& out) override;
  void encode_quick_ack(uint32_t token, Bytes& out) override;
  void encode_transport_error(int32_t code, Bytes& out) override;
  void encode_tag(Bytes& out) override;
  // Header plus the most padding a peer may add (decoding) or we add (encoding).
  size_t max_overhead() const override { return 4 + kMaxPeerPadding; }

 private:
  uint64_t next_random();
  // Appends a frame of `body` followed by 0..3 random bytes, with the optional ack bit.
  void append_padded(ByteView body, uint32_t ack_bit, Bytes& out);

  Role role_;
  uint64_t rng_state_;
};

}  // namespace mtedge::codecs::intermediate
