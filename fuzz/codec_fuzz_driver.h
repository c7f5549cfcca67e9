// Shared body of the plain TCP framer fuzz targets (abridged, intermediate, padded, full).
//
// Input: byte 0 picks how the rest is split into reads; the rest is the stream. It is fed
// to a server-role and a client-role FrameReader with small caps. Every packet the server
// role decodes is re-encoded (server -> client) and must decode back to the same bytes.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "codecs/core/frame_reader.h"
#include "codecs/framers/framers.h"
#include "tests/support/split_feed.h"

namespace mtedge::codecs::fuzz {

// Feeds `data` in reads cut by the split byte (tests/support/split_feed.h: 0 = one read),
// each read a buffer of its own as from a socket.
inline CodecError feed_split(FrameReader& reader, FrameSink& sink, const uint8_t* data, size_t size,
                             uint8_t split) {
  CodecError error = CodecError::kNone;
  mtedge::test::feed_copied_pieces(ByteView(data, size),
                                   mtedge::test::split_sizes_from_byte(size, split),
                                   [&](MutableByteView piece) {
                                     error = reader.feed(piece, sink);
                                     return error == CodecError::kNone;
                                   });
  return error;
}

// Re-encodes each decoded unit with a fresh framer of the reading role and checks that a
// fresh framer of the peer role decodes a packet back to the same bytes. Fresh framers keep
// the full transport's seqnos at 0 for every check.
class RoundTripSink final : public FrameSink {
 public:
  RoundTripSink(TransportKind kind, Role role) : kind_(kind), role_(role) {}

  bool on_packet(MutableByteView payload, bool /*quick_ack_requested*/) override {
    if (payload.size() % 4 != 0) std::abort();  // every framer delivers whole words
    auto encoder = make_framer(kind_, role_, payload.size());
    auto decoder = make_framer(kind_, peer(), payload.size());
    Bytes wire;
    encoder->encode_packet(payload, true, wire);
    if (wire.size() > payload.size() + encoder->max_overhead()) std::abort();
    ParseResult r = decoder->parse(wire);
    // The client role reads server payloads under 16 bytes as transport units, by design.
    if (role_ == Role::kClient || payload.size() >= 16) {
      if (r.kind != ParseResult::Kind::kPacket || r.size != wire.size() ||
          r.payload_size != payload.size() ||
          std::memcmp(wire.data() + r.payload_offset, payload.data(), payload.size()) != 0) {
        std::abort();
      }
    }
    return true;
  }
  bool on_quick_ack(uint32_t token) override {
    auto encoder = make_framer(kind_, Role::kServer, token);
    Bytes wire;
    encoder->encode_quick_ack(token, wire);
    return true;
  }
  bool on_transport_error(int32_t code) override {
    auto encoder = make_framer(kind_, Role::kServer, 0);
    Bytes wire;
    encoder->encode_transport_error(code, wire);
    return true;
  }

 private:
  Role peer() const { return role_ == Role::kServer ? Role::kClient : Role::kServer; }
  TransportKind kind_;
  Role role_;
};

inline int run_framer_fuzz(TransportKind kind, const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t split = data[0];
  ++data;
  --size;
  FrameLimits limits;
  limits.max_frame = 64 * 1024;
  limits.first_frame_max = 4 * 1024;
  for (Role role : {Role::kServer, Role::kClient}) {
    auto framer = make_framer(kind, role, split);
    FrameReader reader(*framer, limits);
    RoundTripSink sink(kind, role);
    CodecError error = feed_split(reader, sink, data, size, split);
    if (error != reader.error()) std::abort();
    if (error != CodecError::kNone) {
      // Sticky: more input changes nothing.
      Bytes more(data, data + std::min<size_t>(size, 8));
      if (reader.feed(more, sink) != error) std::abort();
      sink.on_transport_error(error_info(error).code);
    }
    if (reader.buffered() > limits.max_frame + framer->max_overhead()) std::abort();
  }
  return 0;
}

}  // namespace mtedge::codecs::fuzz
