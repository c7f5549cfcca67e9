#include "gateway/conn/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "backend-adapters/api/adapter.h"
#include "codecs/framers/framers.h"
#include "codecs/http/http_response.h"
#include "codecs/websocket/ws_handshake.h"
#include "gateway/runtime/config.h"
#include "gateway/runtime/gateway.h"
#include "gateway/runtime/worker.h"

namespace mtedge::gateway {

using backend::CloseReason;
using codecs::CodecError;
using mtedge::MutableByteView;
using codecs::TransportKind;
using codecs::detector::Detection;

namespace {

// Packets shorter than this carry no auth_key_id; they are answered with -404 (broken
// MTProto fields, docs/spec/wire-notes.md §1.6) and the connection is closed.
constexpr size_t kAuthKeyIdSize = 8;
constexpr int32_t kBadPacketCode = -404;
// A WebSocket message carries one transport packet (docs/spec/wire-notes.md §5), the 64-byte obfuscated2
// init in front of the first one: the message cap is the frame cap plus this slack.
constexpr size_t kWsMessageSlack = 4096;
// Room for the WebSocket frame headers of one outgoing message (checked against the cap
// before the message is encoded; the fragments of a 4 MiB packet need less than this).
constexpr size_t kWsHeaderSlack = 256;
// Room for the HTTP response headers around one packet (with CORS they are < 400 bytes).
constexpr size_t kHttpHeaderSlack = 512;

}  // namespace

std::string PeerAddress::host() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family == AF_INET || family == AF_INET6) inet_ntop(family, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string PeerAddress::to_string() const {
  if (family == AF_INET6) return "[" + host() + "]:" + std::to_string(port);
  return host() + ":" + std::to_string(port);
}

inline Worker& Connection::worker() const {
  return *static_cast<Worker*>(tcp_.loop->data);
}

inline const ListenerConfig& Connection::listener() const {
  return worker().config().listeners[listener_index_];
}

Connection::Connection(Worker& worker, uint16_t listener_index) : listener_index_(listener_index) {
  uv_tcp_init(worker.loop(), &tcp_);
  tcp_.data = this;
  open_handles_ = 1;
}

Connection::~Connection() {
  worker().timers().cancel(*this);  // normally close_now() has already
}

void Connection::start(backend::ConnId id) {
  id_ = id;
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    if (ss.ss_family == AF_INET) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
      std::memcpy(peer_.bytes.data(), &sin->sin_addr, 4);
      peer_.port = ntohs(sin->sin_port);
    } else if (ss.ss_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
      std::memcpy(peer_.bytes.data(), &sin6->sin6_addr, 16);
      peer_.port = ntohs(sin6->sin6_port);
    }
    peer_.family = static_cast<uint8_t>(ss.ss_family);
  }
  uv_tcp_nodelay(&tcp_, 1);
  if (listener().tls) tls_ = std::make_unique<TlsSession>(*listener().tls);
  last_activity_ms_ = uv_now(worker().loop());
  arm_timer(worker().settings().first_byte_timeout_ms);
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) == 0) {
    reading_ = true;
  } else {
    close_now(CloseReason::kPeerClosed);
  }
}

void Connection::arm_timer(uint64_t ms) {
  if (state_ == State::kClosed) return;  // e.g. an adapter callback closed it meanwhile
  worker().timers().arm(*this, ms);
}

void Connection::release_write_buffers(bool all) {
  if (!flight_.empty()) return;  // a write is in flight
  if (all || !keep_drained_buffer(flight_.capacity())) Bytes().swap(flight_);
  if (pending_.empty() && (all || !keep_drained_buffer(pending_.capacity()))) {
    Bytes().swap(pending_);
  }
  if (all) write_req_.reset();
}

void Connection::note_traffic() {
  last_activity_ms_ = uv_now(worker().loop());
  if (parked_ && state_ == State::kStreaming) {
    // The next quiet spell parks it again (or the idle timeout, if that is shorter).
    parked_ = false;
    const GatewaySettings& s = worker().settings();
    arm_timer(std::min<uint64_t>(s.park_after_ms, s.idle_timeout_ms));
  }
}

uint64_t Connection::streaming_timer_due() {
  const GatewaySettings& s = worker().settings();
  const uint64_t elapsed = uv_now(worker().loop()) - last_activity_ms_;
  uint64_t due = s.idle_timeout_ms > elapsed ? s.idle_timeout_ms - elapsed : 0;
  if (state_ == State::kStreaming && stack_ && !parked_ && s.park_after_ms > 0) {
    if (elapsed >= s.park_after_ms) {
      stack_->park();
      release_write_buffers(true);
      parked_ = true;
      spdlog::debug("conn {:#x} peer {}: parked after {} ms quiet", id_, peer_.to_string(),
                    elapsed);
      if (opened_) worker().adapter().on_client_quiet(id_);
    } else {
      due = std::min(due, s.park_after_ms - elapsed);
    }
  }
  return due;
}

void Connection::stop_reading() {
  if (reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
}

void Connection::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  *buf = static_cast<Connection*>(handle->data)->worker().read_buffer();
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread == 0) return;
  if (nread < 0) {
    if (nread != UV_EOF) {
      spdlog::debug("conn {:#x} peer {}: read error {}", self->id_, self->peer_.to_string(),
                    uv_err_name(static_cast<int>(nread)));
    }
    self->close_now(CloseReason::kPeerClosed);
    return;
  }
  self->handle_read(
      MutableByteView(reinterpret_cast<uint8_t*>(buf->base), static_cast<size_t>(nread)));
}

void Connection::handle_read(MutableByteView data) {
  if (state_ >= State::kClosing) return;
  worker().metrics().bytes_in.add(data.size());
  note_traffic();
  if (state_ == State::kFirstByte) {
    state_ = State::kDetecting;  // the detection timer also bounds the TLS handshake
    arm_timer(worker().settings().detect_timeout_ms);
  }
  if (tls_) {
    handle_tls_read(data);
  } else {
    handle_plain(data);
  }
}

void Connection::handle_tls_read(ByteView cipher) {
  const bool ok = tls_->feed(cipher);
  const MutableByteView plain = worker().tls_plain_buffer();
  while (ok && state_ < State::kClosing) {
    const size_t n = tls_->read(plain);
    if (n == 0) break;
    handle_plain(plain.first(n));
  }
  if (state_ >= State::kClosing) return;
  if (tls_->failed()) {
    worker().metrics().gateway_errors[static_cast<size_t>(GatewayError::kTlsError)].add();
    spdlog::debug("conn {:#x} peer {}: error tls [{}]", id_, peer_.to_string(), tls_->error());
    flush();  // the alert, if any
    begin_close(CloseReason::kProtocolError);
  } else if (tls_->peer_closed()) {
    begin_close(CloseReason::kPeerClosed);
  } else if (tls_->has_output()) {
    mark_dirty();  // handshake records, session tickets
  }
}

void Connection::handle_plain(MutableByteView data) {
  if (state_ == State::kDetecting) {
    detect(data);
  } else if (taking_bytes()) {
    feed(data);
  } else if (state_ == State::kFronting && fronting_ && !fronting_->send(data)) {
    stop_reading();  // fronting_drained() reads again
  }
}

void Connection::detect(MutableByteView data) {
  using codecs::detector::kMaxPeek;
  codecs::detector::Detection d;
  size_t copied = 0;
  if (peek_len_ == 0) {
    // Common case: the tag arrives with the first frame; decide on the read buffer itself.
    d = codecs::detector::detect(data.first(std::min(data.size(), kMaxPeek)),
                                 listener().transports);
    if (d.outcome == Detection::Outcome::kNeedMore) {
      if (data.size() >= kMaxPeek) {
        d.outcome = Detection::Outcome::kUnknown;  // the detector promised to decide on 64 bytes
      } else {
        peek_ = std::make_unique<uint8_t[]>(kMaxPeek);
        std::memcpy(peek_.get(), data.data(), data.size());
        peek_len_ = static_cast<uint8_t>(data.size());
        return;
      }
    }
  } else {
    copied = std::min(data.size(), kMaxPeek - peek_len_);
    std::memcpy(peek_.get() + peek_len_, data.data(), copied);
    peek_len_ = static_cast<uint8_t>(peek_len_ + copied);
    d = codecs::detector::detect(ByteView(peek_.get(), peek_len_), listener().transports);
    if (d.outcome == Detection::Outcome::kNeedMore) {
      if (peek_len_ < kMaxPeek) return;
      d.outcome = Detection::Outcome::kUnknown;
    }
  }
  worker().metrics().detections[detection_index(d)].add();

  // The bytes seen so far: `head` (what the detector decided on, then the rest of this read).
  std::unique_ptr<uint8_t[]> peeked = std::move(peek_);
  const size_t peeked_len = peek_len_;
  peek_len_ = 0;
  MutableByteView head = peeked ? MutableByteView(peeked.get(), peeked_len) : data;
  MutableByteView tail = peeked ? data.subspan(copied) : MutableByteView();

  CodecError err = start_transport(d);
  if (err != CodecError::kNone) {
    Bytes raw(head.begin(), head.end());
    raw.insert(raw.end(), tail.begin(), tail.end());
    handle_codec_error(err, raw);
    return;
  }
  // Feed what follows the tag: first the rest of the detected bytes, then the rest of this read.
  if (d.consume < head.size()) feed(head.subspan(d.consume));
  if (taking_bytes() && !tail.empty()) feed(tail);
}

SecureAcceptOptions Connection::secure_accept_options() const {
  const GatewaySettings& s = worker().settings();
  SecureAcceptOptions options;
  options.secrets = listener().secrets;
  options.init.allow_no_secret = listener().allow_no_secret;
  options.init.dd_strict = listener().dd_strict;
  options.tls.hello.max_past_seconds = s.tls_max_past_seconds;
  options.tls.hello.max_future_seconds = s.tls_max_future_seconds;
  return options;
}

CodecError Connection::start_transport(const Detection& d) {
  if (d.matched(TransportKind::kObfuscated) || d.matched(TransportKind::kFakeTls)) {
    accept_ = std::make_unique<SecureAccept>(d.transport, secure_accept_options(),
                                             &worker().replay_cache());
    state_ = State::kAccepting;  // the detection timer keeps running: it bounds the handshake
    return CodecError::kNone;
  }
  if (d.matched(TransportKind::kHttp)) {
    codecs::http::ServerLimits limits;
    limits.max_body_bytes = worker().settings().max_frame_bytes;
    http_ = std::make_unique<codecs::http::HttpServerCodec>(limits);
    state_ = State::kHttp;  // the detection timer bounds the request that decides
    return CodecError::kNone;
  }
  if (d.outcome != Detection::Outcome::kMatched || !codecs::has_framer(d.transport)) {
    return CodecError::kUnknownTransport;
  }
  stack_.emplace(codecs::make_framer(d.transport, codecs::Role::kServer, worker().random()),
                 frame_limits());
  backend::ConnInfo info;
  info.transport = d.transport;
  info.framing = d.transport;
  open_stream(std::move(info));
  return CodecError::kNone;
}

codecs::FrameLimits Connection::frame_limits() const {
  const GatewaySettings& s = worker().settings();
  codecs::FrameLimits limits;
  limits.max_frame = s.max_frame_bytes;
  limits.first_frame_max = s.first_frame_max_bytes;
  return limits;
}

void Connection::open_stream(backend::ConnInfo info) {
  state_ = State::kStreaming;
  last_activity_ms_ = uv_now(worker().loop());
  arm_timer(streaming_timer_due());
  info.id = id_;
  info.client_ip = peer_.host();
  info.client_port = peer_.port;
  info.listener = listener().name;
  info.tls = tls_ != nullptr;
  opened_ = true;
  if (info.secret_label.empty()) {
    spdlog::debug("conn {:#x} peer {}: transport {}", id_, peer_.to_string(),
                  backend::transport_path(info));
  } else {
    spdlog::debug("conn {:#x} peer {}: transport {} secret {} dc {}", id_, peer_.to_string(),
                  backend::transport_path(info), info.secret_label, info.dc_id.value_or(0));
  }
  worker().adapter().on_open(info);
}

void Connection::accept_more(MutableByteView data) {
  const size_t queued_before = pending_.size();
  SecureAccept::Step step = accept_->feed(data, static_cast<int64_t>(time(nullptr)), pending_);
  if (pending_.size() != queued_before) mark_dirty();  // the fake-TLS ServerHello
  if (step == SecureAccept::Step::kNeedMore) return;
  if (step == SecureAccept::Step::kError) {
    std::unique_ptr<SecureAccept> failed = std::move(accept_);
    handle_codec_error(failed->error(), failed->can_front() ? failed->raw() : ByteView());
    ws_ = nullptr;  // the stage belonged to `failed`
    return;
  }
  accept_->build_stack(stack_, frame_limits(), worker().random());
  backend::ConnInfo info;
  info.transport = accept_->transport();
  info.framing = accept_->inner_transport();
  info.dc_id = accept_->dc_id();
  info.secret_label = accept_->secret_label();
  open_stream(std::move(info));
  std::unique_ptr<SecureAccept> done = std::move(accept_);
  if (state_ == State::kStreaming && !done->rest().empty()) feed(done->rest());
}

void Connection::feed(MutableByteView data) {
  if (state_ == State::kHttp) {
    feed_http(data);
    return;
  }
  if (state_ == State::kAccepting) {
    accept_more(data);
    if (ws_ && state_ == State::kAccepting) take_ws_output();  // pongs before the init
    return;
  }
  CodecError err = stack_->feed(data, *this);
  if (state_ != State::kStreaming) return;  // the adapter or a short packet closed it
  if (err != CodecError::kNone) {
    handle_codec_error(err);
    return;
  }
  if (ws_) {
    take_ws_output();
    if (state_ != State::kStreaming) return;
  }
  if (worker().settings().park_after_ms == 0) stack_->shrink();  // else when it parks
  if (paused_) stop_reading();
}

void Connection::feed_http(MutableByteView data) {
  http_feeding_ = true;
  const codecs::http::FeedResult r = http_->feed(data, *this);
  http_feeding_ = false;
  if (r.error != CodecError::kNone) {
    handle_codec_error(r.error);
    return;
  }
  take_http_output();
  if (state_ != State::kAccepting) return;
  // Upgraded to WebSocket: the 101 reply is queued, the rest of the read is WebSocket.
  http_.reset();
  if (r.consumed < data.size()) feed(data.subspan(r.consumed));
}

void Connection::take_http_output() {
  if (http_->take_output(pending_) > 0) mark_dirty();
  if (http_->should_close()) {
    begin_close(CloseReason::kProtocolError);
    return;
  }
  if (exchange_) sync_http_hold();
  if (exchange_ && !http_feeding_) resume_http();
}

void Connection::sync_http_hold() {
  const uint64_t want =
      state_ == State::kHttp && exchange_->has_waiting() ? exchange_->auth_key_id : 0;
  if (want == exchange_->held_key) return;
  HttpHolders& holders = worker().gateway().http_holders();
  if (exchange_->held_key != 0) holders.release(exchange_->held_key, id_);
  if (want != 0) holders.hold(want, id_);
  exchange_->held_key = want;
}

bool Connection::route_http_packet(ByteView packet) {
  if (packet.size() < kAuthKeyIdSize) return false;
  const uint64_t key = load_le64(packet.data());
  if (key == 0) return false;
  std::optional<backend::ConnId> holder = worker().gateway().http_holders().longest(key, id_);
  if (!holder) return false;
  worker().metrics().http_routes[static_cast<size_t>(HttpRouteOutcome::kRouted)].add();
  spdlog::debug("conn {:#x} peer {}: http packet routed to conn {:#x} (same auth key)", id_,
                peer_.to_string(), *holder);
  worker().gateway().route_http_packet(*holder, id_, Bytes(packet.begin(), packet.end()));
  return true;
}

bool Connection::take_routed_http(ByteView packet) {
  if (state_ != State::kHttp || !exchange_) return false;
  send_http_packet(packet, false);
  return true;
}

bool Connection::on_request(const codecs::http::Request& request) {
  if (!listener().transports.contains(TransportKind::kHttp)) {
    // A listener that serves only WebSocket upgrades.
    refuse_request(request.id, 404, request.is_web_path);
    return false;
  }
  return serve_http_post(request);
}

bool Connection::serve_http_post(const codecs::http::Request& request) {
  if (state_ != State::kHttp) return false;
  if (!exchange_) open_http_exchange();
  if (state_ != State::kHttp) return false;
  last_activity_ms_ = uv_now(worker().loop());
  if (request.is_probe()) {
    // Web A's endpoint probe: 200 with an empty body (docs/codecs/http.md).
    http_->respond(request.id, {});
    take_http_output();
    return state_ == State::kHttp;
  }
  MetricsShard& m = worker().metrics();
  m.frames_in.add();
  if (request.body.size() < kAuthKeyIdSize) {
    m.gateway_errors[static_cast<size_t>(GatewayError::kShortPacket)].add();
    spdlog::debug("conn {:#x} peer {}: error short_packet [size = {}]", id_, peer_.to_string(),
                  request.body.size());
    http_->respond_transport_error(request.id, kBadPacketCode);
    take_http_output();
    return false;
  }
  backend::Frame frame;
  frame.conn_id = id_;
  frame.auth_key_id = load_le64(request.body.data());
  exchange_->auth_key_id = frame.auth_key_id;
  exchange_->on_request(request.id, last_activity_ms_);
  arm_http_timer();
  frame.kind =
      frame.auth_key_id == 0 ? backend::FrameKind::kUnencrypted : backend::FrameKind::kEncrypted;
  frame.packet = request.body;  // no quick ack over HTTP (docs/spec/wire-notes.md §4)
  if (!worker().adapter().on_frame(frame)) paused_ = true;
  // Answers given during on_frame (the edge stage's handshake replies, the embedded
  // backend) leave now; a packet queued earlier may already have answered this request.
  if (state_ == State::kHttp) take_http_output();
  return state_ == State::kHttp;
}

void Connection::open_http_exchange() {
  const GatewaySettings& s = worker().settings();
  exchange_ = std::make_unique<HttpExchange>(*http_, s.http_max_wait_ms, s.write_buffer_limit);
  backend::ConnInfo info;
  info.id = id_;
  info.transport = TransportKind::kHttp;
  info.framing = TransportKind::kHttp;
  info.client_ip = peer_.host();
  info.client_port = peer_.port;
  info.listener = listener().name;
  info.tls = tls_ != nullptr;
  opened_ = true;
  spdlog::debug("conn {:#x} peer {}: transport {}", id_, peer_.to_string(),
                backend::transport_path(info));
  worker().adapter().on_open(info);
}

bool Connection::send_http_packet(ByteView packet, bool may_route) {
  if (may_route && !exchange_->has_waiting() && route_http_packet(packet)) return true;
  if (!room_for(packet.size() + kHttpHeaderSlack)) return false;
  switch (exchange_->deliver(packet)) {
    case HttpExchange::Delivery::kOverflow:
      worker().metrics().gateway_errors[static_cast<size_t>(GatewayError::kOutboundLimit)].add();
      spdlog::debug("conn {:#x} peer {}: error outbound_limit [http queue {} packets, {} bytes]",
                    id_, peer_.to_string(), exchange_->queued_packets(), exchange_->queued_bytes());
      close_now(CloseReason::kLimit);
      return false;
    case HttpExchange::Delivery::kQueued: worker().metrics().frames_out.add(); return true;
    case HttpExchange::Delivery::kAnswered: break;
  }
  worker().metrics().frames_out.add();
  take_http_output();
  if (state_ != State::kHttp) return true;
  arm_http_timer();
  return after_enqueue();
}

void Connection::send_http_transport_error(int32_t code) {
  if (!exchange_->deliver_error(code)) {
    // No request to carry it: HTTP has no other way to say it.
    begin_close(CloseReason::kAdapter);
    return;
  }
  take_http_output();  // the error reply closes the connection once written
}

void Connection::resume_http() {
  while (http_->needs_resume()) {
    http_feeding_ = true;
    const codecs::http::FeedResult r = http_->resume(*this);
    http_feeding_ = false;
    if (r.error != CodecError::kNone) {
      handle_codec_error(r.error);
      return;
    }
    if (state_ != State::kHttp) return;
    if (http_->take_output(pending_) > 0) mark_dirty();
    if (http_->should_close()) {
      begin_close(CloseReason::kProtocolError);
      return;
    }
  }
  http_->shrink();
  if (paused_ || !http_->wants_read()) {
    stop_reading();
  } else {
    start_reading();
  }
}

void Connection::arm_http_timer() {
  const uint64_t now = uv_now(worker().loop());
  uint64_t due = last_activity_ms_ + worker().settings().idle_timeout_ms;
  if (std::optional<uint64_t> deadline = exchange_->next_deadline_ms()) {
    due = std::min(due, *deadline);
  }
  arm_timer(due > now ? due - now : 0);
}

void Connection::on_http_timer() {
  const uint64_t now = uv_now(worker().loop());
  if (exchange_->expire(now) > 0) {
    take_http_output();
    if (state_ != State::kHttp) return;
  }
  if (!exchange_->has_waiting() && now - last_activity_ms_ >= worker().settings().idle_timeout_ms) {
    worker().metrics().gateway_errors[static_cast<size_t>(GatewayError::kIdleTimeout)].add();
    spdlog::debug("conn {:#x} peer {}: error idle_timeout", id_, peer_.to_string());
    close_now(CloseReason::kTimeout);
    return;
  }
  arm_http_timer();
}

bool Connection::on_upgrade(const codecs::http::UpgradeRequest& request) {
  namespace ws = codecs::websocket;
  if (!listener().transports.contains(TransportKind::kWebSocket) || exchange_) {  // no upgrade after MTProto over POST
    refuse_request(request.id, 404, false);
    return false;
  }
  if (!ws::valid_key(request.key)) {
    refuse_request(request.id, 400, false);
    return false;
  }
  Bytes reply;
  if (!ws::build_handshake_response(request.key, request.protocols, request.version, reply)) {
    ws::encode_version_error(reply);  // the key is valid: the version is not 13
    http_->respond_raw(request.id, std::move(reply), true);
    return false;
  }
  http_->respond_raw(request.id, std::move(reply), false);
  ws::StageOptions options;
  options.limits.max_message = worker().settings().max_frame_bytes + kWsMessageSlack;
  auto stage = std::make_unique<ws::WsStreamStage>(std::move(options));
  ws_ = stage.get();
  accept_ = std::make_unique<SecureAccept>(TransportKind::kWebSocket, secure_accept_options(),
                                           &worker().replay_cache(), std::move(stage));
  state_ = State::kAccepting;  // the detection timer now bounds the obfuscated2 init
  return true;
}

void Connection::refuse_request(uint64_t id, int status, bool cors) {
  Bytes reply;
  codecs::http::encode_error(status, cors, reply);
  http_->respond_raw(id, std::move(reply), true);
}

void Connection::take_ws_output() {
  if (ws_->has_pending()) {
    if (!room_for(0)) return;  // a ping flood from a client that does not read
    ws_->take_pending(pending_);
    mark_dirty();
  }
  if (ws_->should_close()) {
    begin_close(ws_->close_received() ? CloseReason::kPeerClosed : CloseReason::kProtocolError);
  }
}

void Connection::write_transport_error_and_close(int32_t code, CloseReason reason) {
  stack_->write_transport_error(code, pending_);
  if (ws_) {
    ws_->close_with_transport_error(code);
    ws_->take_pending(pending_);
  }
  mark_dirty();
  begin_close(reason);
}

bool Connection::on_packet(MutableByteView payload, bool quick_ack_requested) {
  if (state_ != State::kStreaming) return false;
  MetricsShard& m = worker().metrics();
  m.frames_in.add();
  if (payload.size() < kAuthKeyIdSize) {
    m.gateway_errors[static_cast<size_t>(GatewayError::kShortPacket)].add();
    spdlog::debug("conn {:#x} peer {}: error short_packet [size = {}]", id_, peer_.to_string(),
                  payload.size());
    write_transport_error_and_close(kBadPacketCode, CloseReason::kProtocolError);
    return false;
  }
  backend::Frame frame;
  frame.conn_id = id_;
  frame.auth_key_id = load_le64(payload.data());
  frame.kind =
      frame.auth_key_id == 0 ? backend::FrameKind::kUnencrypted : backend::FrameKind::kEncrypted;
  frame.quick_ack = quick_ack_requested;
  frame.packet = payload;
  if (!worker().adapter().on_frame(frame)) paused_ = true;
  // Packets already read keep flowing to the adapter even when it paused us: the pause
  // takes effect at the next socket read (at most one read buffer later).
  return state_ == State::kStreaming;
}

void Connection::handle_codec_error(CodecError error, ByteView raw) {
  const codecs::ErrorInfo& info = codecs::error_info(error);
  worker().metrics().codec_errors[static_cast<size_t>(error)].add();
  spdlog::debug("conn {:#x} peer {}: error {}", id_, peer_.to_string(), info.name);
  switch (info.action) {
    case codecs::ErrorAction::kTransportErrorThenClose:
      if (stack_) {
        write_transport_error_and_close(info.code, CloseReason::kProtocolError);
      } else {
        close_now(CloseReason::kProtocolError);
      }
      return;
    case codecs::ErrorAction::kFrontOrClose: front_or_close(raw); return;
    case codecs::ErrorAction::kHttpErrorThenClose:
      // The codec queued the error reply (with CORS where due) and closes after it.
      if (http_) {
        take_http_output();
        begin_close(CloseReason::kProtocolError);
        return;
      }
      close_now(CloseReason::kProtocolError);
      return;
    case codecs::ErrorAction::kWebSocketClose:
      // The stage queued a close frame with the error's code.
      if (ws_) {
        take_ws_output();
        begin_close(CloseReason::kProtocolError);
        return;
      }
      close_now(CloseReason::kProtocolError);
      return;
    case codecs::ErrorAction::kNone:
    case codecs::ErrorAction::kClose:
      // What was queued (e.g. a fake-TLS ServerHello before a bad inner init) is dropped.
      close_now(CloseReason::kProtocolError);
      return;
  }
}

void Connection::front_or_close(ByteView raw) {
  MetricsShard& m = worker().metrics();
  const GatewaySettings& s = worker().settings();
  if (listener().fronting && !raw.empty()) {
    m.fronting[static_cast<size_t>(FrontingOutcome::kSpliced)].add();
    spdlog::debug("conn {:#x} peer {}: fronting to {}", id_, peer_.to_string(),
                  listener().fronting_text);
    state_ = State::kFronting;
    arm_timer(s.idle_timeout_ms);
    fronting_ = FrontingLink::start(worker().loop(), *listener().fronting, this, raw,
                                    s.write_buffer_high, s.fronting_connect_timeout_ms);
    return;
  }
  // No fronting server: stop reading, close after a short random delay.
  m.fronting[static_cast<size_t>(FrontingOutcome::kClosed)].add();
  stop_reading();
  state_ = State::kClosing;
  close_reason_ = CloseReason::kProtocolError;
  linger_ = true;
  arm_timer(kRejectDelayMinMs + worker().random() % (kRejectDelayMaxMs - kRejectDelayMinMs));
}

bool Connection::fronting_data(ByteView bytes) {
  if (state_ != State::kFronting || !room_for(bytes.size())) return false;
  pending_.insert(pending_.end(), bytes.begin(), bytes.end());
  last_activity_ms_ = uv_now(worker().loop());
  return after_enqueue();
}

void Connection::fronting_drained() {
  if (state_ == State::kFronting) start_reading();
}

void Connection::fronting_closed(bool connected) {
  fronting_ = nullptr;
  if (!connected) {
    worker().metrics().fronting[static_cast<size_t>(FrontingOutcome::kConnectFailed)].add();
    spdlog::warn("listener {}: fronting server {} unreachable", listener().name,
                 listener().fronting_text);
  }
  begin_close(CloseReason::kPeerClosed);
}

void Connection::start_reading() {
  if (!reading_ && uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) == 0) {
    reading_ = true;
  }
}

void Connection::mark_dirty() {
  if (!dirty && state_ != State::kClosed) worker().mark_dirty(this);
}

bool Connection::room_for(size_t bytes) {
  if (queued() + bytes <= worker().settings().write_buffer_limit) return true;
  worker().metrics().gateway_errors[static_cast<size_t>(GatewayError::kOutboundLimit)].add();
  spdlog::debug("conn {:#x} peer {}: error outbound_limit [queued = {}]", id_, peer_.to_string(),
                queued());
  close_now(CloseReason::kLimit);
  return false;
}

bool Connection::after_enqueue() {
  mark_dirty();
  if (queued() > worker().settings().write_buffer_high) above_high_ = true;
  return !above_high_;
}

bool Connection::send_packet(ByteView packet) {
  if (state_ == State::kHttp && exchange_) return send_http_packet(packet);
  if (state_ != State::kStreaming) return true;  // closing: nothing more goes out
  if (!room_for(packet.size() + stack_->framer().max_overhead() + kWsHeaderSlack)) return false;
  stack_->write_packet(packet, false, pending_);
  worker().metrics().frames_out.add();
  return after_enqueue();
}

void Connection::send_quick_ack(uint32_t token) {
  if (state_ != State::kStreaming || !room_for(64)) return;
  stack_->write_quick_ack(token, pending_);
  worker().metrics().quick_acks_out.add();
  after_enqueue();
}

void Connection::send_transport_error(int32_t code) {
  if (state_ == State::kHttp && exchange_) {
    send_http_transport_error(code);
    return;
  }
  if (state_ != State::kStreaming || !room_for(64)) return;
  write_transport_error_and_close(code, CloseReason::kAdapter);
}

void Connection::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  if (state_ == State::kStreaming) start_reading();
  if (state_ == State::kHttp && exchange_) resume_http();
}

void Connection::flush() {
  dirty = false;
  if (state_ == State::kClosed || !flight_.empty()) return;
  if (tls_) {
    if (!pending_.empty()) {
      tls_->write(pending_);
      pending_.clear();
    }
    tls_->take_output(flight_);
  } else {
    flight_.swap(pending_);
  }
  if (flight_.empty()) return;
  // Most writes complete at once: try the socket first and hand libuv only what is left.
  // (A uv_write of everything costs an extra epoll_ctl per write in libuv 1.44.)
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  uv_buf_t buf =
      uv_buf_init(reinterpret_cast<char*>(flight_.data()), static_cast<unsigned>(flight_.size()));
  const int tried = uv_try_write(stream, &buf, 1);
  if (tried < 0 && tried != UV_EAGAIN) {
    flight_.clear();
    close_now(CloseReason::kPeerClosed);
    return;
  }
  const size_t written = tried > 0 ? static_cast<size_t>(tried) : 0;
  worker().metrics().bytes_out.add(written);
  if (written == flight_.size()) {
    flight_.clear();
    after_write();
    return;
  }
  flight_.erase(flight_.begin(), flight_.begin() + static_cast<std::ptrdiff_t>(written));
  buf = uv_buf_init(reinterpret_cast<char*>(flight_.data()), static_cast<unsigned>(flight_.size()));
  if (!write_req_) {
    write_req_ = std::make_unique<uv_write_t>();
    write_req_->data = this;
  }
  if (uv_write(write_req_.get(), stream, &buf, 1, on_write) != 0) {
    flight_.clear();
    close_now(CloseReason::kPeerClosed);
  }
}

void Connection::on_write(uv_write_t* req, int status) {
  auto* self = static_cast<Connection*>(req->data);
  self->worker().metrics().bytes_out.add(status == 0 ? self->flight_.size() : 0);
  self->flight_.clear();
  if (self->state_ == State::kClosed) return;
  if (status != 0) {
    self->close_now(CloseReason::kPeerClosed);
    return;
  }
  self->after_write();
}

void Connection::after_write() {
  note_traffic();
  if (!pending_.empty() || (tls_ && tls_->has_output())) {
    flush();  // what accumulated meanwhile goes out as one write
  } else {
    // Drained. Mid-size buffers stay for the next writes (no fresh pages per frame) until
    // the connection parks; without parking everything goes now.
    release_write_buffers(worker().settings().park_after_ms == 0);
  }
  if (state_ == State::kClosed || !flight_.empty()) return;
  if (above_high_ && queued() <= worker().settings().write_buffer_low) {
    above_high_ = false;
    if (state_ == State::kStreaming && opened_) worker().adapter().on_client_drained(id_);
    if (state_ == State::kFronting && fronting_) fronting_->resume();
  }
  if (state_ == State::kClosing && !linger_ && queued() == 0) close_now(close_reason_);
}

void Connection::begin_close(CloseReason reason) {
  if (state_ >= State::kClosing) return;
  state_ = State::kClosing;
  close_reason_ = reason;
  stop_reading();
  if (queued() == 0) {
    close_now(reason);
    return;
  }
  arm_timer(kCloseFlushMs);
}

void Connection::on_due() {
  switch (state_) {
    case State::kFirstByte:
    case State::kDetecting:
    case State::kHttp:
    case State::kAccepting:
      if (state_ == State::kHttp && exchange_) {
        on_http_timer();
        return;
      }
      worker().metrics().gateway_errors[static_cast<size_t>(GatewayError::kDetectTimeout)].add();
      spdlog::debug("conn {:#x} peer {}: error detect_timeout", id_, peer_.to_string());
      close_now(CloseReason::kTimeout);
      return;
    case State::kStreaming:
    case State::kFronting: {
      const uint64_t due = streaming_timer_due();
      if (due > 0) {
        arm_timer(due);
        return;
      }
      worker().metrics().gateway_errors[static_cast<size_t>(GatewayError::kIdleTimeout)].add();
      spdlog::debug("conn {:#x} peer {}: error idle_timeout", id_, peer_.to_string());
      close_now(CloseReason::kTimeout);
      return;
    }
    case State::kClosing: close_now(close_reason_); return;
    case State::kClosed: return;
  }
}

void Connection::close_now(CloseReason reason) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  reading_ = false;
  if (fronting_) {
    fronting_->detach();
    fronting_ = nullptr;
  }
  if (accept_) {
    accept_.reset();
    ws_ = nullptr;  // a WebSocket stage not yet in the stack belonged to accept_
  }
  worker().forget(this, reason);
  if (exchange_ && exchange_->held_key != 0) {
    worker().gateway().http_holders().release(exchange_->held_key, id_);
    exchange_->held_key = 0;
  }
  spdlog::debug("conn {:#x} peer {}: closed ({})", id_, peer_.to_string(),
                backend::close_reason_name(reason));
  if (opened_) {
    opened_ = false;
    worker().adapter().on_close(id_, reason);
  }
  worker().timers().cancel(*this);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_handle_closed);
}

void Connection::on_handle_closed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  if (--self->open_handles_ == 0) delete self;
}

}  // namespace mtedge::gateway
