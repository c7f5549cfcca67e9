// AcceptDriver: obfuscated2, fake-TLS, or obfuscated2 inside WebSocket frames, between
// detection (or the 101 reply) and streaming. SecureAccept (gateway/conn/secure_accept.h)
// checks the init / the ClientHello against the listener's secrets; on success the driver
// hands the stack it built to streaming, on failure the client's bytes go to the fronting
// server while nothing was answered (else the connection closes).
//
// Timer: the detection timeout keeps running from sniffing: it bounds the handshake.
#pragma once

#include <memory>

#include "codecs/websocket/ws_stream_stage.h"
#include "gateway/conn/conn_port.h"
#include "gateway/conn/secure_accept.h"

namespace mtedge::gateway {

class AcceptDriver final : public ConnDriver {
 public:
  // `ws`: the WebSocket stage `accept` owns (kWebSocket), else null.
  AcceptDriver(ConnPort& port, std::unique_ptr<SecureAccept> accept,
               codecs::websocket::WsStreamStage* ws)
      : port_(port), accept_(std::move(accept)), ws_(ws) {}

  void on_bytes(MutableByteView data) override;
  void on_timer() override;

 private:
  ConnPort& port_;
  std::unique_ptr<SecureAccept> accept_;
  codecs::websocket::WsStreamStage* ws_;
};

}  // namespace mtedge::gateway
