// TransportStack: one connection's whole transport, both directions.
//
//   socket bytes -> [outer stage: fake-TLS records] -> [stage: AES-256-CTR] -> FrameReader
//   Framer encode -> [stage: AES-256-CTR] -> [outer stage: fake-TLS records] -> socket bytes
//
// Stream stages transform bytes without knowing about frames (obfuscation is a stage in
// front of an unchanged framer, not a framing of its own). Everything the stack writes,
// quick-ack tokens and transport errors included, passes through every stage in stream
// order.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"
#include "codecs/core/frame_reader.h"
#include "codecs/core/framer.h"

namespace mtedge::codecs {

class StreamStage {
 public:
  virtual ~StreamStage() = default;
  // Transforms bytes from the peer in place. Returns the bytes for the next (inner) stage:
  // a prefix of `in` (a stage may strip headers by compacting in place). On malformed input
  // sets `error` and returns an empty view; the stack then stops for good.
  virtual MutableByteView inbound(MutableByteView in, CodecError& error) = 0;
  // Transforms out[from, out.size()), the bytes inner stages just produced, in place or by
  // rewriting that range (a record layer adds headers).
  virtual void outbound(Bytes& out, size_t from) = 0;
  // The connection has gone quiet: drop what the next inbound()/outbound() can rebuild (the
  // AES-CTR round keys). Never changes what the stage produces.
  virtual void park() {}
};

// A stage that carries the stream inside an envelope of its own (fake-TLS records,
// WebSocket frames) and strips it inbound. Such a stage can sit in front of an acceptor
// that must read the stripped stream before the rest of the stack exists (the obfuscated2
// init, see ObfuscatedAcceptor): the acceptor hands the bytes it did not use back to the
// stack, already stripped.
class EnvelopeStage : public StreamStage {
 public:
  // The next `count` inbound bytes were already stripped by this stage (returned by an
  // earlier inbound() and handed back): pass them through unchanged.
  virtual void pass_through(size_t count) = 0;
};

class TransportStack {
 public:
  TransportStack(std::unique_ptr<Framer> framer, FrameLimits limits)
      : framer_(std::move(framer)), reader_(*framer_, limits) {}

  // At most this many stages (kept inline: an idle connection's stack allocates no list).
  // The stacks the codecs build have at most two (fake-TLS or WebSocket, then obfuscated2).
  static constexpr size_t kMaxStages = 3;

  // Adds a stage outside the existing ones (closer to the socket). More than kMaxStages is
  // a programming error: it aborts.
  void add_outer_stage(std::unique_ptr<StreamStage> stage);

  // Feeds bytes as read from the socket; `bytes` may be modified in place.
  CodecError feed(MutableByteView bytes, FrameSink& sink);

  void write_packet(ByteView payload, bool quick_ack_request, Bytes& out);
  void write_quick_ack(uint32_t token, Bytes& out);
  void write_transport_error(int32_t code, Bytes& out);
  // Client role: the transport tag, sent through the stages like any other byte, or the
  // preamble if one is set.
  void write_tag(Bytes& out);
  // Client role: bytes that replace the framer's tag and are written as they are, not
  // through the stages (the obfuscated2 init, which carries the tag inside it).
  void set_preamble(Bytes preamble) { preamble_ = std::move(preamble); }

  Framer& framer() { return *framer_; }
  const FrameReader& reader() const { return reader_; }
  void shrink() { reader_.shrink(); }
  // For a connection gone quiet: shrink(), and every stage's park().
  void park();
  CodecError error() const { return error_ != CodecError::kNone ? error_ : reader_.error(); }

 private:
  void through_stages(Bytes& out, size_t from);

  std::span<std::unique_ptr<StreamStage>> stages() { return {stages_.data(), stage_count_}; }

  std::unique_ptr<Framer> framer_;
  FrameReader reader_;
  std::array<std::unique_ptr<StreamStage>, kMaxStages> stages_;  // [0] is outermost
  Bytes preamble_;
  uint8_t stage_count_ = 0;
  CodecError error_ = CodecError::kNone;
};

}  // namespace mtedge::codecs
