#include "codecs/websocket/ws_stream_stage.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstring>

namespace mtedge::codecs::websocket {

WsStreamStage::WsStreamStage(StageOptions options)
    : role_(options.role),
      fragment_size_(options.fragment_size > 0 ? options.fragment_size : kDefaultFragmentSize),
      mask_source_(std::move(options.mask_source)),
      decoder_(options.role == Role::kServer, options.limits) {
  assert(role_ == Role::kServer || mask_source_);
}

MutableByteView WsStreamStage::inbound(MutableByteView in, CodecError& error) {
  // Already unframed bytes come first; the decoder compacts what follows right after them.
  const size_t skip = std::min(pass_through_, in.size());
  pass_through_ -= skip;
  uint8_t* cursor = in.data() + skip;
  CodecError e = decoder_.feed_compacting(in.subspan(skip), *this, cursor);
  size_t produced = static_cast<size_t>(cursor - in.data());
  if (e != CodecError::kNone) {
    if (!failed_ && !close_sent_) {
      encode_close(static_cast<uint16_t>(error_info(e).code), {}, pending_, mask());
      close_sent_ = true;
    }
    failed_ = true;
    error = e;
    return {};
  }
  return in.first(produced);
}

bool WsStreamStage::on_data(MutableByteView) {
  return true;  // feed_compacting() already moved the bytes to the front of the read
}

bool WsStreamStage::on_ping(ByteView payload) {
  ++pings_;
  if (!close_sent_) encode_control(Opcode::kPong, payload, pending_, mask());
  return true;
}

bool WsStreamStage::on_close(uint16_t, std::string_view) {
  // Reply with 1000 (docs/spec/wire-notes.md §5: our close frames always carry 1000).
  if (!close_sent_) {
    encode_close(kCloseNormal, {}, pending_, mask());
    close_sent_ = true;
  }
  return true;
}

void WsStreamStage::outbound(Bytes& out, size_t from) {
  if (close_sent_) {  // nothing may follow a close frame
    out.resize(from);
    return;
  }
  if (role_ == Role::kServer) {
    wrap_message_in_place(out, from, fragment_size_);
    return;
  }
  Bytes payload(out.begin() + static_cast<std::ptrdiff_t>(from), out.end());
  out.resize(from);
  if (!payload.empty()) encode_message(payload, out, fragment_size_, mask());
}

size_t WsStreamStage::take_pending(Bytes& out) {
  size_t n = pending_.size();
  if (out.empty()) {
    out.swap(pending_);
  } else {
    out.insert(out.end(), pending_.begin(), pending_.end());
  }
  pending_.clear();
  return n;
}

void WsStreamStage::close_with_transport_error(int32_t code) {
  char buf[16];
  auto r = std::to_chars(buf, buf + sizeof(buf), code);
  close(kCloseNormal, std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
}

void WsStreamStage::close(uint16_t code, std::string_view reason) {
  if (close_sent_) return;
  encode_close(code, reason, pending_, mask());
  close_sent_ = true;
}

}  // namespace mtedge::codecs::websocket
