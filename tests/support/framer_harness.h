// Drives a framer the way the gateway does: a FrameReader fed in a given split (whole, byte
// by byte, random pieces; tests/support/split_feed.h) into a sink that records every event.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.h"
#include "codecs/core/frame_reader.h"
#include "codecs/core/framer.h"
#include "tests/support/split_feed.h"

namespace mtedge::codecs::test {

using mtedge::test::kAllSplits;
using mtedge::test::Split;
using mtedge::test::split_name;

// Deterministic payload of `size` bytes.
inline Bytes make_payload(size_t size, uint32_t seed = 1) {
  Bytes out(size);
  uint32_t x = seed * 2654435761u + 12345;
  for (auto& b : out) {
    x = x * 1103515245u + 12345;
    b = static_cast<uint8_t>(x >> 16);
  }
  return out;
}

struct Event {
  enum Kind { kPacket, kQuickAck, kTransportError } kind;
  Bytes payload;
  bool quick_ack = false;
  int64_t value = 0;
  bool operator==(const Event&) const = default;
};

inline Event packet(Bytes payload, bool quick_ack = false) {
  return {Event::kPacket, std::move(payload), quick_ack, 0};
}
inline Event quick_ack(uint32_t token) {
  return {Event::kQuickAck, {}, false, token};
}
inline Event transport_error(int32_t code) {
  return {Event::kTransportError, {}, false, code};
}

class RecordingSink : public FrameSink {
 public:
  bool on_packet(MutableByteView payload, bool quick_ack_requested) override {
    events.push_back({Event::kPacket, Bytes(payload.begin(), payload.end()), quick_ack_requested});
    return stop_after == 0 || events.size() < stop_after;
  }
  bool on_quick_ack(uint32_t token) override {
    events.push_back(quick_ack(token));
    return stop_after == 0 || events.size() < stop_after;
  }
  bool on_transport_error(int32_t code) override {
    events.push_back(transport_error(code));
    return stop_after == 0 || events.size() < stop_after;
  }
  std::vector<Event> events;
  size_t stop_after = 0;  // return false after this many events (0 = never)
};

struct FeedResult {
  CodecError error = CodecError::kNone;
  std::vector<Event> events;
  size_t buffered = 0;
};

// Feeds `stream` to a fresh FrameReader over `framer` in the given split. Each chunk is
// copied into its own buffer (as a socket read would be) so no chunk outlives its feed.
inline FeedResult feed(Framer& framer, ByteView stream, Split split, FrameLimits limits = {},
                       uint32_t seed = 42) {
  FrameReader reader(framer, limits);
  RecordingSink sink;
  FeedResult result;
  mtedge::test::feed_copied_pieces(stream, mtedge::test::split_sizes(stream.size(), split, seed),
                                   [&](MutableByteView piece) {
                                     result.error = reader.feed(piece, sink);
                                     return result.error == CodecError::kNone;
                                   });
  result.events = std::move(sink.events);
  result.buffered = reader.buffered();
  return result;
}

}  // namespace mtedge::codecs::test
