#include "gateway/conn/http_driver.h"

#include <algorithm>

#include "codecs/http/http_response.h"
#include "codecs/websocket/ws_handshake.h"

namespace mtedge::gateway {

using backend::CloseReason;
using codecs::CodecError;

namespace {

// A WebSocket message carries one transport packet (docs/spec/wire-notes.md §5), the
// 64-byte obfuscated2 init in front of the first one: the message cap is the frame cap plus
// this slack.
constexpr size_t kWsMessageSlack = 4096;
// Room for the HTTP response headers around one packet (with CORS they are < 400 bytes).
constexpr size_t kHttpHeaderSlack = 512;

codecs::http::ServerLimits server_limits(const ConnSettings& s) {
  codecs::http::ServerLimits limits;
  limits.max_body_bytes = s.max_frame_bytes;
  return limits;
}

}  // namespace

HttpDriver::HttpDriver(ConnPort& port) : port_(port), http_(server_limits(port.settings())) {}

void HttpDriver::on_bytes(MutableByteView data) {
  feeding_ = true;
  const codecs::http::FeedResult r = http_.feed(data, *this);
  feeding_ = false;
  if (r.error != CodecError::kNone) {
    fail(r.error);
    return;
  }
  take_output();
  if (!upgrade_ || port_.closing()) return;
  // Upgraded to WebSocket: the 101 reply is queued, the rest of the read is WebSocket.
  ConnPort& port = port_;
  port.accept(std::move(upgrade_), ws_);  // replaces this driver
  if (r.consumed < data.size()) port.deliver(data.subspan(r.consumed));
}

void HttpDriver::fail(CodecError error) {
  port_.count_codec_error(error);
  if (codecs::error_info(error).action == codecs::ErrorAction::kHttpErrorThenClose) {
    // The codec queued the error reply (with CORS where due) and closes after it.
    take_output();
    port_.begin_close(CloseReason::kProtocolError);
    return;
  }
  close_for_codec_error(port_, error);
}

void HttpDriver::take_output() {
  if (http_.take_output(port_.out()) > 0) port_.mark_dirty();
  if (http_.should_close()) {
    port_.begin_close(CloseReason::kProtocolError);
    return;
  }
  if (exchange_) sync_hold();
  // Whenever the codec paused at its pipelining cap, not only with an exchange: preflights
  // are answered by the codec and open none.
  if (!feeding_ && (exchange_ || http_.needs_resume())) resume();
}

void HttpDriver::sync_hold() {
  const uint64_t want = !port_.closing() && exchange_->has_waiting() ? exchange_->auth_key_id : 0;
  if (want == exchange_->held_key) return;
  port_.hold_http(exchange_->held_key, want);
  exchange_->held_key = want;
}

void HttpDriver::on_close() {
  if (exchange_ && exchange_->held_key != 0) {
    port_.hold_http(exchange_->held_key, 0);
    exchange_->held_key = 0;
  }
}

bool HttpDriver::route(ByteView packet) {
  if (packet.size() < kAuthKeyIdSize) return false;
  const uint64_t key = load_le64(packet.data());
  if (key == 0) return false;
  const std::optional<backend::ConnId> holder = port_.route_http(key, packet);
  if (!holder) return false;
  port_.metrics().count(HttpRouteOutcome::kRouted);
  conn_debug(port_, "http packet routed to conn {:#x} (same auth key)", *holder);
  return true;
}

size_t HttpDriver::buffered_bytes() const {
  return http_.buffered_bytes() + (exchange_ ? exchange_->queued_bytes() : 0);
}

bool HttpDriver::take_routed_http(ByteView packet) {
  if (!exchange_) return false;
  send_http_packet(packet, false);
  return true;
}

bool HttpDriver::on_request(const codecs::http::Request& request) {
  if (!port_.listener().transports.contains(codecs::TransportKind::kHttp)) {
    // A listener that serves only WebSocket upgrades.
    refuse(request.id, 404, request.is_web_path);
    return false;
  }
  return serve_post(request);
}

bool HttpDriver::serve_post(const codecs::http::Request& request) {
  if (port_.closing()) return false;
  if (!exchange_) open_exchange();
  if (port_.closing()) return false;
  port_.touch();
  if (request.is_probe()) {
    // Web A's endpoint probe: 200 with an empty body (docs/codecs/http.md).
    http_.respond(request.id, {});
    take_output();
    return !port_.closing();
  }
  port_.metrics().frames_in.add();
  if (request.body.size() < kAuthKeyIdSize) {
    note_error(port_, ConnError::kShortPacket, "[size = {}]", request.body.size());
    http_.respond_transport_error(request.id, kBadPacketCode);
    take_output();
    return false;
  }
  // No quick ack over HTTP (docs/spec/wire-notes.md §4).
  const backend::Frame frame = make_frame(port_.id(), request.body, false);
  port_.note_packet(frame.kind == backend::FrameKind::kEncrypted);
  exchange_->auth_key_id = frame.auth_key_id;
  exchange_->on_request(request.id, port_.last_activity_ms());
  arm_timer();
  if (!port_.adapter().on_frame(frame)) paused_ = true;
  // Answers given during on_frame (the edge stage's handshake replies, the embedded
  // backend) leave now; a packet queued earlier may already have answered this request.
  if (!port_.closing()) take_output();
  return !port_.closing();
}

void HttpDriver::open_exchange() {
  const ConnSettings& s = port_.settings();
  exchange_.emplace(http_, s.http_max_wait_ms, s.write_buffer_limit);
  backend::ConnInfo info;
  info.transport = codecs::TransportKind::kHttp;
  info.framing = codecs::TransportKind::kHttp;
  port_.open_adapter(std::move(info));
}

bool HttpDriver::send_packet(ByteView packet) {
  if (!exchange_) return true;
  return send_http_packet(packet, true);
}

bool HttpDriver::send_http_packet(ByteView packet, bool may_route) {
  if (may_route && !exchange_->has_waiting() && route(packet)) return true;
  if (!port_.room_for(packet.size() + kHttpHeaderSlack)) return false;
  switch (exchange_->deliver(packet)) {
    case HttpExchange::Delivery::kOverflow:
      note_error(port_, ConnError::kOutboundLimit, "[http queue {} packets, {} bytes]",
                 exchange_->queued_packets(), exchange_->queued_bytes());
      port_.close_now(CloseReason::kLimit);
      return false;
    case HttpExchange::Delivery::kQueued: port_.metrics().frames_out.add(); return true;
    case HttpExchange::Delivery::kAnswered: break;
  }
  port_.metrics().frames_out.add();
  take_output();
  if (port_.closing()) return true;
  arm_timer();
  return port_.after_enqueue();
}

void HttpDriver::send_transport_error(int32_t code) {
  if (!exchange_) return;
  if (!exchange_->deliver_error(code)) {
    // No request to carry it: HTTP has no other way to say it.
    port_.begin_close(CloseReason::kAdapter);
    return;
  }
  take_output();  // the error reply closes the connection once written
}

void HttpDriver::on_drained() {
  if (exchange_) port_.adapter().on_client_drained(port_.id());
}

void HttpDriver::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  if (exchange_) resume();
}

void HttpDriver::resume() {
  while (http_.needs_resume()) {
    feeding_ = true;
    const codecs::http::FeedResult r = http_.resume(*this);
    feeding_ = false;
    if (r.error != CodecError::kNone) {
      fail(r.error);
      return;
    }
    if (port_.closing()) return;
    if (http_.take_output(port_.out()) > 0) port_.mark_dirty();
    if (http_.should_close()) {
      port_.begin_close(CloseReason::kProtocolError);
      return;
    }
  }
  http_.shrink();
  if (paused_ || !http_.wants_read()) {
    port_.stop_reading();
  } else {
    port_.start_reading();
  }
}

void HttpDriver::arm_timer() {
  const uint64_t now = port_.now_ms();
  uint64_t due = port_.last_activity_ms() + port_.settings().idle_timeout_ms;
  if (std::optional<uint64_t> deadline = exchange_->next_deadline_ms()) {
    due = std::min(due, *deadline);
  }
  port_.arm_timer(due > now ? due - now : 0);
}

void HttpDriver::on_timer() {
  if (exchange_) {
    on_exchange_timer();
    return;
  }
  note_error(port_, ConnError::kDetectTimeout);
  port_.close_now(CloseReason::kTimeout);
}

void HttpDriver::on_exchange_timer() {
  const uint64_t now = port_.now_ms();
  if (exchange_->expire(now) > 0) {
    take_output();
    if (port_.closing()) return;
  }
  if (!exchange_->has_waiting() &&
      now - port_.last_activity_ms() >= port_.settings().idle_timeout_ms) {
    note_error(port_, ConnError::kIdleTimeout);
    port_.close_now(CloseReason::kTimeout);
    return;
  }
  arm_timer();
}

bool HttpDriver::on_upgrade(const codecs::http::UpgradeRequest& request) {
  namespace ws = codecs::websocket;
  if (!port_.listener().transports.contains(codecs::TransportKind::kWebSocket) ||
      exchange_) {  // no upgrade after MTProto over POST
    refuse(request.id, 404, false);
    return false;
  }
  if (!ws::valid_key(request.key)) {
    refuse(request.id, 400, false);
    return false;
  }
  Bytes reply;
  if (!ws::build_handshake_response(request.key, request.protocols, request.version, reply)) {
    ws::encode_version_error(reply);  // the key is valid: the version is not 13
    http_.respond_raw(request.id, std::move(reply), true);
    return false;
  }
  http_.respond_raw(request.id, std::move(reply), false);
  ws::StageOptions options;
  options.limits.max_message = port_.settings().max_frame_bytes + kWsMessageSlack;
  auto stage = std::make_unique<ws::WsStreamStage>(std::move(options));
  ws_ = stage.get();
  // The detection timer now bounds the obfuscated2 init.
  upgrade_ = std::make_unique<SecureAccept>(
      codecs::TransportKind::kWebSocket, secure_accept_options(port_),
      &port_.replay_cache(codecs::TransportKind::kWebSocket), std::move(stage));
  return true;
}

void HttpDriver::refuse(uint64_t id, int status, bool cors) {
  Bytes reply;
  codecs::http::encode_error(status, cors, reply);
  http_.respond_raw(id, std::move(reply), true);
}

}  // namespace mtedge::gateway
