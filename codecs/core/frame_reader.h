// FrameReader turns a byte stream into units using a Framer, with the caps of
// docs/codecs/abridged.md "Limits" (gateway.max_frame_bytes, gateway.first_frame_max_bytes).
//
// Contract:
// - feed() takes any split of the stream (whole, byte by byte, random). Complete units
//   are parsed straight from the caller's buffer; only an incomplete tail is copied into
//   the reader's own buffer, which grows as bytes actually arrive, never from a length the
//   peer declared.
// - A declared size above the cap fails with kFrameTooLarge as soon as the header is read.
//   Before the first packet, the smaller `first_frame_max` cap applies.
// - Errors are sticky: after one, feed() returns it again without reading.
// - The sink may return false from any callback to stop the reader (the connection is
//   closing); the rest of that feed() is then dropped.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"
#include "codecs/core/framer.h"

namespace mtedge::codecs {

struct FrameLimits {
  size_t max_frame = (4u << 20) + 4096;        // largest payload accepted
  size_t first_frame_max = (1u << 20) + 4096;  // largest payload before the first valid one
};

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // `payload` stays valid only during the call; the sink may modify it in place.
  virtual bool on_packet(MutableByteView payload, bool quick_ack_requested) = 0;
  virtual bool on_quick_ack(uint32_t /*token*/) { return true; }
  virtual bool on_transport_error(int32_t /*code*/) { return true; }
};

class FrameReader {
 public:
  FrameReader(Framer& framer, FrameLimits limits) : framer_(framer), limits_(limits) {}

  CodecError feed(MutableByteView bytes, FrameSink& sink);

  CodecError error() const { return error_; }
  size_t buffered() const { return tail_.size(); }
  size_t packets() const { return packets_; }
  // Memory the tail buffer holds (its capacity), whether or not it holds bytes.
  size_t buffer_capacity() const { return tail_.capacity(); }
  // Frees the tail buffer's memory when it is empty (idle connections keep nothing).
  // feed() already does this itself once an emptied buffer is above kRetainedCapacity.
  void shrink() {
    if (tail_.empty()) Bytes().swap(tail_);
  }

  // A tail buffer that grew past this for one large split unit is freed as soon as that
  // unit is done, so one big frame does not pin its size for the connection's life. Up to
  // it (a 16 KiB frame with its header fits) the buffer is kept for the next split unit,
  // until shrink().
  static constexpr size_t kRetainedCapacity = 64 * 1024;

 private:
  // Parses units from `data`; returns bytes consumed, sets error_ or stopped_.
  size_t drain(MutableByteView data, FrameSink& sink);
  size_t cap() const { return packets_ == 0 ? limits_.first_frame_max : limits_.max_frame; }

  Framer& framer_;
  FrameLimits limits_;
  Bytes tail_;
  size_t tail_need_ = 0;  // total bytes the tail's first unit needs, 0 when unknown
  size_t packets_ = 0;
  bool stopped_ = false;
  CodecError error_ = CodecError::kNone;
};

}  // namespace mtedge::codecs
