// The WebSocket stage's own output on a connection (pongs, close frames), shared by the
// modes that run over WebSocket (accepting the init, then streaming).
#pragma once

#include "codecs/websocket/ws_stream_stage.h"
#include "gateway/conn/conn_port.h"

namespace mtedge::gateway {

// Queues the control frames `ws` produced; closes once both sides sent close (or after a
// protocol error), when they are written. A ping flood from a client that does not read hits
// the outbound limit.
inline void take_ws_output(ConnPort& port, codecs::websocket::WsStreamStage& ws) {
  if (ws.has_pending()) {
    if (!port.room_for(0)) return;
    ws.take_pending(port.out());
    port.mark_dirty();
  }
  if (ws.should_close()) {
    port.begin_close(ws.close_received() ? backend::CloseReason::kPeerClosed
                                         : backend::CloseReason::kProtocolError);
  }
}

}  // namespace mtedge::gateway
