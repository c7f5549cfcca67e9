#include "codecs/core/frame_reader.h"

#include <algorithm>

namespace mtedge::codecs {

size_t FrameReader::drain(MutableByteView data, FrameSink& sink) {
  size_t offset = 0;
  while (offset < data.size() && error_ == CodecError::kNone && !stopped_) {
    MutableByteView rest = data.subspan(offset);
    ParseResult r = framer_.parse(rest);
    switch (r.kind) {
      case ParseResult::Kind::kNeedMore:
        if (r.size <= rest.size()) {
          error_ = CodecError::kBadLength;  // a framer asking for bytes it already has
        } else if (r.size > cap() + framer_.max_overhead()) {
          error_ = CodecError::kFrameTooLarge;
        } else {
          tail_need_ = r.size;
          return offset;
        }
        break;
      case ParseResult::Kind::kError: error_ = r.error; break;
      case ParseResult::Kind::kPacket:
        if (r.size == 0 || r.size > rest.size() || r.payload_offset > r.size ||
            r.payload_size > r.size - r.payload_offset) {
          error_ = CodecError::kBadLength;  // a framer contract violation; never loop or overrun
          break;
        }
        if (r.payload_size > cap()) {
          error_ = CodecError::kFrameTooLarge;
          break;
        }
        ++packets_;
        offset += r.size;
        stopped_ = !sink.on_packet(rest.subspan(r.payload_offset, r.payload_size), r.quick_ack);
        break;
      case ParseResult::Kind::kQuickAck:
      case ParseResult::Kind::kTransportError:
      case ParseResult::Kind::kSkip:
        if (r.size == 0 || r.size > rest.size()) {
          error_ = CodecError::kBadLength;  // a framer contract violation; never loop or overrun
          break;
        }
        offset += r.size;
        if (r.kind == ParseResult::Kind::kQuickAck) {
          stopped_ = !sink.on_quick_ack(static_cast<uint32_t>(r.value));
        } else if (r.kind == ParseResult::Kind::kTransportError) {
          stopped_ = !sink.on_transport_error(r.value);
        }
        break;
    }
  }
  tail_need_ = 0;
  return offset;
}

CodecError FrameReader::feed(MutableByteView bytes, FrameSink& sink) {
  if (error_ != CodecError::kNone || stopped_) return error_;
  // Complete the unit that straddles reads, topping the tail up only to what it needs.
  while (!tail_.empty() && !bytes.empty()) {
    size_t want = tail_need_ > tail_.size() ? tail_need_ - tail_.size() : bytes.size();
    size_t take = std::min(want, bytes.size());
    tail_.insert(tail_.end(), bytes.begin(), bytes.begin() + take);
    bytes = bytes.subspan(take);
    if (tail_.size() < tail_need_) return error_;
    size_t used = drain(tail_, sink);
    if (error_ != CodecError::kNone || stopped_) return error_;
    tail_.erase(tail_.begin(), tail_.begin() + used);
    if (tail_.empty() && tail_.capacity() > kRetainedCapacity) Bytes().swap(tail_);
  }
  if (!tail_.empty()) return error_;
  size_t used = drain(bytes, sink);
  if (error_ != CodecError::kNone || stopped_) return error_;
  tail_.assign(bytes.begin() + used, bytes.end());
  if (tail_.empty()) tail_need_ = 0;
  return error_;
}

}  // namespace mtedge::codecs
