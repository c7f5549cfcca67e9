// StreamDriver: a connection's bytes through its TransportStack (framing, obfuscated2,
// fake-TLS records, WebSocket frames); each packet becomes a backend Frame for the adapter,
// and the adapter's packets, quick acks and transport errors are framed back.
//
// - A packet shorter than an auth_key_id gets the transport error -404 and the connection
//   closes after it (short_packet). A codec error takes its action: the transport's error
//   packet, or a WebSocket close frame, then close.
// - on_frame returning false pauses reading after the current read (packets already read
//   still reach the adapter) until the adapter calls resume_reading.
// - Timer: the idle timeout, checked lazily against the last traffic so traffic does not
//   touch the timer heap; once per quiet spell of park_after_ms the stack parks (its
//   rebuildable state and the write buffers are freed) and the adapter hears on_client_quiet.
#pragma once

#include <optional>

#include "codecs/core/transport_stack.h"
#include "codecs/websocket/ws_stream_stage.h"
#include "gateway/conn/conn_port.h"

namespace mtedge::gateway {

// Room for the WebSocket frame headers of one outgoing message (checked against the cap
// before the message is encoded; the fragments of a 4 MiB packet need less than this).
inline constexpr size_t kWsHeaderSlack = 256;

class StreamDriver final : public ConnDriver, private codecs::FrameSink {
 public:
  // `ws`: the WebSocket stage inside the stack built later into stack(), if any.
  StreamDriver(ConnPort& port, codecs::websocket::WsStreamStage* ws) : port_(port), ws_(ws) {}

  // Where open_stream builds the stack, before the first on_bytes().
  std::optional<codecs::TransportStack>& stack() { return stack_; }

  void on_bytes(MutableByteView data) override;
  void on_timer() override;
  void on_traffic() override;
  void on_drained() override;
  bool streaming() const override { return true; }
  size_t buffered_bytes() const override { return stack_ ? stack_->reader().buffer_capacity() : 0; }
  bool send_packet(ByteView packet) override;
  void send_quick_ack(uint32_t token) override;
  void send_transport_error(int32_t code) override;
  void resume_reading() override;

  // ms until the timer is next due (0: idle_timeout_ms has passed); parks the stack once the
  // connection has been quiet for park_after_ms.
  uint64_t timer_due();

 private:
  // codecs::FrameSink
  bool on_packet(MutableByteView payload, bool quick_ack_requested) override;
  void fail(codecs::CodecError error);
  // The transport error packet inside the stream, on WebSocket also a close frame (1000,
  // the code as reason); then closes once written.
  void write_transport_error_and_close(int32_t code, backend::CloseReason reason);

  ConnPort& port_;
  codecs::websocket::WsStreamStage* ws_;  // owned by stack_
  std::optional<codecs::TransportStack> stack_;
  bool paused_ = false;  // the adapter returned false from on_frame
  bool parked_ = false;  // stack_->park() ran and no traffic came since
};

}  // namespace mtedge::gateway
