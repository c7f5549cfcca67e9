#include "codecs/core/transport_stack.h"

#include <cstdlib>

namespace mtedge::codecs {

void TransportStack::add_outer_stage(std::unique_ptr<StreamStage> stage) {
  if (stage_count_ == kMaxStages) std::abort();
  for (size_t i = stage_count_; i > 0; --i) stages_[i] = std::move(stages_[i - 1]);
  stages_[0] = std::move(stage);
  ++stage_count_;
}

CodecError TransportStack::feed(MutableByteView bytes, FrameSink& sink) {
  if (error_ != CodecError::kNone) return error_;
  for (auto& stage : stages()) {
    bytes = stage->inbound(bytes, error_);
    if (error_ != CodecError::kNone) return error_;
  }
  if (bytes.empty()) return reader_.error();
  return reader_.feed(bytes, sink);
}

void TransportStack::through_stages(Bytes& out, size_t from) {
  for (size_t i = stage_count_; i > 0; --i) stages_[i - 1]->outbound(out, from);
}

void TransportStack::park() {
  shrink();
  for (auto& stage : stages()) stage->park();
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
