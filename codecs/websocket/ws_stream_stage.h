// WsStreamStage: WebSocket framing as a StreamStage of TransportStack
// (codecs/core/transport_stack.h), outside the obfuscation stage:
//
//   socket bytes -> WsStreamStage (deframe, unmask) -> obfuscated2 -> framer
//   framer -> obfuscated2 -> WsStreamStage (one write = one binary message) -> socket
//
// Inbound: frames are stripped in place and the payload bytes of binary messages are
// compacted to the front of the buffer: the obfuscated2 byte stream, with message
// boundaries ignored. Outbound: whatever one stack write produced (one transport packet,
// one quick-ack token, one transport error) becomes exactly one binary message, split into
// frames of at most `fragment_size` bytes (docs/spec/wire-notes.md §5: Web K reads one transport
// packet per message; GramJS drops frames over 1 MiB).
//
// Control traffic does not go through the stack: pong replies, the close reply and close
// frames the gateway initiates collect in a pending buffer; the gateway appends
// take_pending() to its socket output after each feed/write. Control frames are only ever
// placed between whole messages, which is where the stack's writes end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"
#include "codecs/core/framer.h"
#include "codecs/core/transport_stack.h"
#include "codecs/websocket/ws_frame.h"

namespace mtedge::codecs::websocket {

struct StageOptions {
  Role role = Role::kServer;  // server: client frames must be masked, ours are not
  DecoderLimits limits;
  size_t fragment_size = kDefaultFragmentSize;
  MaskSource mask_source;  // client role only: mask keys for our frames
};

class WsStreamStage final : public EnvelopeStage, private DecoderSink {
 public:
  explicit WsStreamStage(StageOptions options);

  // StreamStage. A protocol error sets `error` (kWsProtocolError / kWsUnsupportedData /
  // kWsMessageTooBig) and queues a close frame with that code in the pending output.
  MutableByteView inbound(MutableByteView in, CodecError& error) override;
  void outbound(Bytes& out, size_t from) override;
  // EnvelopeStage: the obfuscated2 init inside WebSocket messages (see ObfuscatedAcceptor).
  void pass_through(size_t count) override { pass_through_ += count; }

  // Control frames waiting to be sent; appends them to `out` and returns the bytes added.
  size_t take_pending(Bytes& out);
  bool has_pending() const { return !pending_.empty(); }

  // Starts the close handshake: close code 1000 with the decimal transport error code as
  // the reason (docs/spec/wire-notes.md §5: "-404"). Later writes are dropped.
  void close_with_transport_error(int32_t code);
  // Starts the close handshake with any code and reason.
  void close(uint16_t code, std::string_view reason);

  // The peer sent a close frame (our reply is queued if we had not closed first).
  bool close_received() const { return decoder_.close_received(); }
  bool close_sent() const { return close_sent_; }
  // Once the pending output is written the connection should be closed: both sides sent
  // close, or we sent a close after a protocol error.
  bool should_close() const { return (close_sent_ && close_received()) || failed_; }
  uint64_t pings() const { return pings_; }

 private:
  bool on_data(MutableByteView bytes) override;
  bool on_ping(ByteView payload) override;
  bool on_close(uint16_t code, std::string_view reason) override;
  const MaskSource* mask() const { return role_ == Role::kClient ? &mask_source_ : nullptr; }

  Role role_;
  size_t fragment_size_;
  MaskSource mask_source_;
  FrameDecoder decoder_;
  Bytes pending_;
  size_t pass_through_ = 0;
  bool close_sent_ = false;
  bool failed_ = false;
  uint64_t pings_ = 0;
};

}  // namespace mtedge::codecs::websocket
