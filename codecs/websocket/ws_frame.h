// WebSocket framing (RFC 6455 §5), sans-io, both roles.
//
// The MTProto web transport carries ONE duplex byte stream (obfuscated2) in binary
// messages (docs/spec/wire-notes.md §5), so the decoder has stream semantics: payload bytes of
// binary messages are unmasked in place and handed to the sink as they arrive, without waiting for
// a whole frame or message. Only control frames (<= 125 bytes) are buffered, in a fixed array.
// Nothing is allocated from a length read off the wire; a declared length is checked against the
// message cap as soon as the header is complete (1009).
//
// The encoder writes one binary message per call, split into frames of at most
// `fragment_size` payload bytes (first opcode binary, then continuation, FIN on the last):
// GramJS's Node WebSocket library drops any single frame over 1 MiB.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"

namespace mtedge::codecs::websocket {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xa,
};

inline constexpr size_t kDefaultFragmentSize = 512 * 1024;
inline constexpr size_t kMaxControlPayload = 125;
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseNoStatus = 1005;  // reported when a close frame has no code

struct DecoderLimits {
  // Largest binary message (sum of its fragments). Web clients send one transport packet
  // per message: the frame cap plus obfuscation and transport overhead.
  uint64_t max_message = (4u << 20) + 65536;
};

class DecoderSink {
 public:
  virtual ~DecoderSink() = default;
  // Payload bytes of binary messages, unmasked, in stream order. May be modified in place.
  // Returning false from any callback stops the decoder (the rest of that feed is dropped).
  virtual bool on_data(MutableByteView bytes) = 0;
  // The FIN frame of a binary message ended.
  virtual bool on_message_end() { return true; }
  virtual bool on_ping(ByteView /*payload*/) { return true; }
  virtual bool on_pong(ByteView /*payload*/) { return true; }
  // `code` is kCloseNoStatus when the frame carried none. After a close frame the decoder
  // ignores every later byte.
  virtual bool on_close(uint16_t /*code*/, std::string_view /*reason*/) { return true; }
};

// Decodes frames. Server role (decoding client frames): every frame must be masked.
// Client role: no frame may be masked. Errors (sticky): kWsProtocolError (1002: unmasked
// client frame, masked server frame, RSV bits, unknown opcode, bad continuation, control
// frame fragmented or > 125 bytes, non-minimal or 64-bit length with the top bit set, bad
// close payload), kWsUnsupportedData (1003: text frames), kWsMessageTooBig (1009).
class FrameDecoder {
 public:
  FrameDecoder(bool expect_masked, DecoderLimits limits = {})
      : expect_masked_(expect_masked), limits_(limits) {}

  CodecError feed(MutableByteView in, DecoderSink& sink) { return feed(in, sink, nullptr); }
  // Like feed(), but payload bytes are unmasked while being moved down to `*cursor` (which
  // must point into `in` at or before the first unread byte; frame headers only shrink
  // the data, so the write never overtakes the read). on_data() gets the moved bytes;
  // `*cursor` ends past the last one. One pass instead of unmask + memmove: an
  // overlapping memmove by a few bytes is slow on current CPUs.
  CodecError feed_compacting(MutableByteView in, DecoderSink& sink, uint8_t*& cursor) {
    return feed(in, sink, &cursor);
  }
  CodecError error() const { return error_; }
  bool close_received() const { return closed_; }
  bool in_message() const { return in_message_; }

 private:
  CodecError feed(MutableByteView in, DecoderSink& sink, uint8_t** cursor);
  bool header_complete();  // validates header_, sets up the frame; false on error
  bool finish_frame(DecoderSink& sink);
  bool fail(CodecError e) {
    error_ = e;
    return false;
  }

  bool expect_masked_;
  DecoderLimits limits_;
  CodecError error_ = CodecError::kNone;
  bool closed_ = false;
  bool stopped_ = false;

  std::array<uint8_t, 14> header_{};
  size_t header_len_ = 0;
  size_t header_need_ = 2;
  bool in_frame_ = false;  // header parsed, payload pending

  // The current frame.
  Opcode opcode_ = Opcode::kBinary;
  bool fin_ = false;
  bool masked_ = false;
  std::array<uint8_t, 4> mask_{};
  size_t mask_pos_ = 0;
  uint64_t remaining_ = 0;
  std::array<uint8_t, kMaxControlPayload> control_{};
  size_t control_len_ = 0;

  // The current binary message.
  bool in_message_ = false;
  uint64_t message_bytes_ = 0;
};

// Mask keys for client frames (tests, load generator): any source, e.g. a seeded PRNG.
using MaskSource = std::function<uint32_t()>;

// Size of a frame header for `payload_len` bytes.
size_t header_size(uint64_t payload_len, bool masked);
// Writes a frame header at `p` (header_size() bytes); `mask` non-null for client frames.
size_t write_header(uint8_t* p, bool fin, Opcode opcode, uint64_t payload_len, const uint8_t* mask);
// XORs `bytes` with the 4-byte `mask` starting at mask offset `pos` (0..3).
void apply_mask(MutableByteView bytes, const uint8_t* mask, size_t pos = 0);
// dst[i] = src[i] ^ mask[(pos + i) & 3] for i < n; dst <= src may overlap (forward pass).
void apply_mask_move(uint8_t* dst, const uint8_t* src, size_t n, const uint8_t* mask,
                     size_t pos = 0);

// Appends one binary message (fragmented per `fragment_size`). `mask` null: server frames.
void encode_message(ByteView payload, Bytes& out, size_t fragment_size = kDefaultFragmentSize,
                    const MaskSource* mask = nullptr);
// Appends a control frame (payload <= 125 bytes; longer is truncated).
void encode_control(Opcode opcode, ByteView payload, Bytes& out, const MaskSource* mask = nullptr);
// Appends a close frame with `code` and `reason` (reason truncated to fit 125 bytes).
void encode_close(uint16_t code, std::string_view reason, Bytes& out,
                  const MaskSource* mask = nullptr);
// Rewrites out[from, end) into one binary message of unmasked (server) frames, in place.
// Nothing is written when the range is empty.
void wrap_message_in_place(Bytes& out, size_t from, size_t fragment_size = kDefaultFragmentSize);

}  // namespace mtedge::codecs::websocket
