// HttpDriver: a connection whose first bytes were an HTTP request. HttpServerCodec parses
// the requests; on a listener that serves "http" the first POST (a probe included) opens the
// connection to the adapter and every POST body is a packet, answered through the
// HttpExchange (gateway/conn/http_exchange.h): long poll, queued answers, and the routing of
// answers by auth key to another connection that holds a request (ConnPort::route_http,
// docs/codecs/http.md "Routing by auth key"). A WebSocket upgrade on /apiws* (on a listener
// that serves "websocket", before any POST) is answered with 101 and the connection goes on
// to accepting, with WebSocket frames as the envelope of the obfuscated2 stream.
//
// Timer: the detection timeout until the first POST; then the earlier of the oldest waiting
// request's max wait and the idle timeout.
//
// Lives on the heap (a rare mode): the codec and the exchange are inline here.
#pragma once

#include <memory>
#include <optional>

#include "codecs/http/http_server_codec.h"
#include "codecs/websocket/ws_stream_stage.h"
#include "gateway/conn/conn_port.h"
#include "gateway/conn/http_exchange.h"
#include "gateway/conn/secure_accept.h"

namespace mtedge::gateway {

class HttpDriver final : public ConnDriver, private codecs::http::RequestSink {
 public:
  explicit HttpDriver(ConnPort& port);

  void on_bytes(MutableByteView data) override;
  void on_timer() override;
  void on_close() override;
  bool send_packet(ByteView packet) override;
  void send_transport_error(int32_t code) override;
  void resume_reading() override;
  // The connection's queue drained to its low mark: the adapter may send again.
  void on_drained() override;
  bool take_routed_http(ByteView packet) override;
  size_t buffered_bytes() const override;

 private:
  // codecs::http::RequestSink
  bool on_request(const codecs::http::Request& request) override;
  bool on_upgrade(const codecs::http::UpgradeRequest& request) override;

  void fail(codecs::CodecError error);
  // A POST's packet becomes a Frame; the first POST opens the connection to the adapter.
  bool serve_post(const codecs::http::Request& request);
  void open_exchange();
  // Moves the codec's answered replies to the socket; closes when the codec says so.
  void take_output();
  // `may_route`: with no request waiting here, the packet may go to another connection
  // holding a request under the same auth key.
  bool send_http_packet(ByteView packet, bool may_route);
  bool route(ByteView packet);
  // Keeps this connection's hold in step with its waiting requests and the auth key of its
  // latest request.
  void sync_hold();
  // Parses what the codec stashed at its pipelining cap, then reads again if both the codec
  // and the adapter take more.
  void resume();
  void arm_timer();
  // Answers requests past their max wait, closes an idle connection, re-arms the timer.
  void on_exchange_timer();
  // Answers request `id` with an error reply (`status`, empty body) and closes after it.
  void refuse(uint64_t id, int status, bool cors);

  ConnPort& port_;
  codecs::http::HttpServerCodec http_;
  std::optional<HttpExchange> exchange_;  // serving MTProto over POST (refers to http_)
  // Set by on_upgrade: the accepting mode to switch to once the codec returns.
  std::unique_ptr<SecureAccept> upgrade_;
  codecs::websocket::WsStreamStage* ws_ = nullptr;  // owned by upgrade_
  bool paused_ = false;                             // the adapter returned false from on_frame
  bool feeding_ = false;  // inside http_.feed()/resume(): no re-entrant resume
};

}  // namespace mtedge::gateway
