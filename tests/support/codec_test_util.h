// Helpers shared by the codec unit tests: a recording sink, the three feeding strategies
// (whole, byte by byte, random splits with a fixed seed), hex and golden-vector loading.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "codecs/core/frame_reader.h"
#include "codecs/core/framer.h"

namespace mtedge::codecs::test {

inline Bytes from_hex(std::string_view hex) {
  Bytes out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;  // spaces and separators
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

inline std::string to_hex(ByteView bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

// Reads tests/vectors/<name> (binary golden bytes).
inline Bytes load_vector(const std::string& name) {
  std::ifstream in(std::string(MTEDGE_VECTORS_DIR) + "/" + name, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

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

enum class Split { kWhole, kByteByByte, kRandom };
inline const char* split_name(Split s) {
  return s == Split::kWhole ? "whole" : s == Split::kByteByByte ? "byte_by_byte" : "random";
}
inline constexpr Split kAllSplits[] = {Split::kWhole, Split::kByteByByte, Split::kRandom};

// Feeds `stream` to a fresh FrameReader over `framer` in the given split. Each chunk is
// copied into its own buffer (as a socket read would be) so no chunk outlives its feed.
inline FeedResult feed(Framer& framer, ByteView stream, Split split, FrameLimits limits = {},
                       uint32_t seed = 42) {
  FrameReader reader(framer, limits);
  RecordingSink sink;
  FeedResult result;
  std::mt19937 rng(seed);
  size_t pos = 0;
  while (pos < stream.size() && result.error == CodecError::kNone) {
    size_t n = stream.size() - pos;
    if (split == Split::kByteByByte) n = 1;
    if (split == Split::kRandom) n = std::min<size_t>(n, 1 + rng() % 97);
    Bytes chunk(stream.begin() + pos, stream.begin() + pos + n);
    pos += n;
    result.error = reader.feed(chunk, sink);
  }
  result.events = std::move(sink.events);
  result.buffered = reader.buffered();
  return result;
}

}  // namespace mtedge::codecs::test
