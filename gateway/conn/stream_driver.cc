#include "gateway/conn/stream_driver.h"

#include <algorithm>

#include "gateway/conn/ws_output.h"

namespace mtedge::gateway {

using backend::CloseReason;
using codecs::CodecError;

void StreamDriver::on_bytes(MutableByteView data) {
  const CodecError err = stack_->feed(data, *this);
  if (port_.closing()) return;  // the adapter or a short packet closed it
  if (err != CodecError::kNone) {
    fail(err);
    return;
  }
  if (ws_ != nullptr) {
    take_ws_output(port_, *ws_);
    if (port_.closing()) return;
  }
  if (port_.settings().park_after_ms == 0) stack_->shrink();  // else when it parks
  if (paused_) port_.stop_reading();
}

bool StreamDriver::on_packet(MutableByteView payload, bool quick_ack_requested) {
  if (port_.closing()) return false;
  port_.metrics().frames_in.add();
  if (payload.size() < kAuthKeyIdSize) {
    note_error(port_, ConnError::kShortPacket, "[size = {}]", payload.size());
    write_transport_error_and_close(kBadPacketCode, CloseReason::kProtocolError);
    return false;
  }
  const backend::Frame frame = make_frame(port_.id(), payload, quick_ack_requested);
  port_.note_packet(frame.kind == backend::FrameKind::kEncrypted);
  if (!port_.adapter().on_frame(frame)) paused_ = true;
  // Packets already read keep flowing to the adapter even when it paused us: the pause
  // takes effect at the next socket read (at most one read buffer later).
  return !port_.closing();
}

void StreamDriver::fail(CodecError error) {
  port_.count_codec_error(error);
  switch (codecs::error_info(error).action) {
    case codecs::ErrorAction::kTransportErrorThenClose:
      write_transport_error_and_close(codecs::error_info(error).code, CloseReason::kProtocolError);
      return;
    case codecs::ErrorAction::kWebSocketClose:
      if (ws_ != nullptr) {
        take_ws_output(port_, *ws_);  // the stage queued a close frame with the error's code
        port_.begin_close(CloseReason::kProtocolError);
        return;
      }
      break;
    default: break;
  }
  close_for_codec_error(port_, error);
}

void StreamDriver::write_transport_error_and_close(int32_t code, CloseReason reason) {
  stack_->write_transport_error(code, port_.out());
  if (ws_ != nullptr) {
    ws_->close_with_transport_error(code);
    ws_->take_pending(port_.out());
  }
  port_.mark_dirty();
  port_.begin_close(reason);
}

bool StreamDriver::send_packet(ByteView packet) {
  if (!port_.room_for(packet.size() + stack_->framer().max_overhead() + kWsHeaderSlack)) {
    return false;
  }
  stack_->write_packet(packet, false, port_.out());
  port_.metrics().frames_out.add();
  return port_.after_enqueue();
}

void StreamDriver::send_quick_ack(uint32_t token) {
  if (!port_.room_for(64)) return;
  stack_->write_quick_ack(token, port_.out());
  port_.metrics().quick_acks_out.add();
  port_.after_enqueue();
}

void StreamDriver::send_transport_error(int32_t code) {
  if (!port_.room_for(64)) return;
  write_transport_error_and_close(code, CloseReason::kAdapter);
}

void StreamDriver::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  port_.start_reading();
}

void StreamDriver::on_drained() {
  port_.adapter().on_client_drained(port_.id());
}

void StreamDriver::on_traffic() {
  if (!parked_) return;
  // The next quiet spell parks it again (or the idle timeout, if that is shorter).
  parked_ = false;
  const ConnSettings& s = port_.settings();
  port_.arm_timer(std::min<uint64_t>(s.park_after_ms, s.idle_timeout_ms));
}

uint64_t StreamDriver::timer_due() {
  const ConnSettings& s = port_.settings();
  const uint64_t elapsed = port_.now_ms() - port_.last_activity_ms();
  uint64_t due = s.idle_timeout_ms > elapsed ? s.idle_timeout_ms - elapsed : 0;
  if (!parked_ && s.park_after_ms > 0) {
    if (elapsed >= s.park_after_ms) {
      stack_->park();
      port_.release_write_buffers();
      parked_ = true;
      conn_debug(port_, "parked after {} ms quiet", elapsed);
      port_.adapter().on_client_quiet(port_.id());
    } else {
      due = std::min(due, s.park_after_ms - elapsed);
    }
  }
  return due;
}

void StreamDriver::on_timer() {
  const uint64_t due = timer_due();
  if (due > 0) {
    port_.arm_timer(due);
    return;
  }
  note_error(port_, ConnError::kIdleTimeout);
  port_.close_now(CloseReason::kTimeout);
}

}  // namespace mtedge::gateway
