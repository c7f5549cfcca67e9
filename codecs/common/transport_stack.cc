#include "codecs/common/transport_stack.h"

namespace mtedge::codecs {

CodecError TransportStack::feed(MutableByteView bytes, FrameSink& sink) {
  if (error_ != CodecError::kNone) return error_;
  for (auto& stage : stages_) {
    bytes = stage->inbound(bytes, error_);
    if (error_ != CodecError::kNone) return error_;
  }
  if (bytes.empty()) return reader_.error();
  return reader_.feed(bytes, sink);
}

void TransportStack::through_stages(Bytes& out, size_t from) {
  for (auto it = stages_.rbegin(); it != stages_.rend(); ++it) (*it)->outbound(out, from);
}

void TransportStack::park() {
  shrink();
  for (auto& stage : stages_) stage->park();
}

void TransportStack::write_packet(ByteView payload, bool quick_ack_request, Bytes& out) {
  size_t from = out.size();
  framer_->encode_packet(payload, quick_ack_request, out);
  through_stages(out, from);
}

void TransportStack::write_quick_ack(uint32_t token, Bytes& out) {
  size_t from = out.size();
  framer_->encode_quick_ack(token, out);
  through_stages(out, from);
}

void TransportStack::write_transport_error(int32_t code, Bytes& out) {
  size_t from = out.size();
  framer_->encode_transport_error(code, out);
  through_stages(out, from);
}

void TransportStack::write_tag(Bytes& out) {
  if (!preamble_.empty()) {
    out.insert(out.end(), preamble_.begin(), preamble_.end());
    Bytes().swap(preamble_);
    return;
  }
  size_t from = out.size();
  framer_->encode_tag(out);
  through_stages(out, from);
}

}  // namespace mtedge::codecs
