#include "gateway/conn/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "backend-adapters/api/adapter.h"
#include "codecs/proxy_protocol/proxy_header.h"
#include "gateway/conn/fronting_driver.h"
#include "gateway/conn/http_driver.h"
#include "gateway/events/event_writer.h"
#include "gateway/runtime/config.h"
#include "gateway/runtime/gateway.h"
#include "gateway/runtime/worker.h"

namespace mtedge::gateway {

using backend::CloseReason;

std::string PeerAddress::host() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family == AF_INET || family == AF_INET6) inet_ntop(family, bytes.data(), buf, sizeof buf);
  return buf;
}

std::string PeerAddress::to_string() const {
  // Built by appending: g++ 12 at -O3 draws a false -Wrestrict from `"[" + host() + ...`.
  std::string out;
  if (family == AF_INET6) out += '[';
  out += host();
  if (family == AF_INET6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

// ---- the owner, as the port exposes it ------------------------------------------------------

inline Worker& Connection::worker() const {
  return *static_cast<Worker*>(tcp_.loop->data);
}

const ListenerConfig& Connection::listener() const {
  return worker().config().listeners[listener_index_];
}
const ConnSettings& Connection::settings() const {
  return worker().settings();
}
MetricsShard& Connection::metrics() {
  return worker().metrics();
}
backend::BackendAdapter& Connection::adapter() {
  return worker().adapter();
}
uint64_t Connection::random() {
  return worker().random();
}
codecs::obfuscated::ReplayCache& Connection::replay_cache(codecs::TransportKind transport) {
  return worker().gateway().replay_cache(listener_index_, transport);
}

codecs::obfuscated::ReplayCache& Connection::no_secret_replay_cache() {
  return worker().gateway().no_secret_replay_cache(listener_index_);
}
uint64_t Connection::now_ms() const {
  return uv_now(worker().loop());
}

namespace {

// The driver behind a variant alternative (inline, or on the heap).
template <typename D>
ConnDriver& as_driver(D& d) {
  return d;
}
ConnDriver& as_driver(std::unique_ptr<ConnDriver>& d) {
  return *d;
}

}  // namespace

ConnDriver& Connection::driver() {
  return std::visit([](auto& d) -> ConnDriver& { return as_driver(d); }, driver_);
}

const ConnDriver& Connection::driver() const {
  return const_cast<Connection*>(this)->driver();
}

// ---- lifetime -------------------------------------------------------------------------------

Connection::Connection(Worker& worker, uint16_t listener_index)
    : listener_index_(listener_index),
      out_(kOutboundEvents, worker.outbound_marks()),
      driver_(std::in_place_type<SniffDriver>, *this) {
  uv_tcp_init(worker.loop(), &tcp_);
  tcp_.data = this;
  open_handles_ = 1;
}

Connection::~Connection() {
  worker().timers().cancel(*this);  // normally close_now() has already
}

bool Connection::read_peer() {
  sockaddr_storage ss{};
  int len = sizeof ss;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  if (ss.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    std::memcpy(peer_.bytes.data(), &sin->sin_addr, 4);
    peer_.port = ntohs(sin->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    std::memcpy(peer_.bytes.data(), &sin6->sin6_addr, 16);
    peer_.port = ntohs(sin6->sin6_port);
  } else {
    return false;
  }
  peer_.family = static_cast<uint8_t>(ss.ss_family);
  return true;
}

void Connection::start(backend::ConnId id) {
  id_ = id;
  uv_tcp_nodelay(&tcp_, 1);
  if (listener().tls) tls_ = std::make_unique<TlsSession>(*listener().tls);
  if (listener().proxy_protocol) proxy_header_ = std::make_unique<Bytes>();
  last_activity_ms_ = now_ms();
  accepted_ms_ = last_activity_ms_;
  arm_timer(settings().first_byte_timeout_ms);
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) == 0) {
    reading_ = true;
  } else {
    close_now(CloseReason::kPeerClosed);
  }
}

void Connection::begin_close(CloseReason reason) {
  if (phase_ >= Phase::kClosing) return;
  phase_ = Phase::kClosing;
  close_reason_ = reason;
  stop_reading();
  if (queued() == 0) {
    close_now(reason);
    return;
  }
  arm_timer(kCloseFlushMs);
}

void Connection::close_now(CloseReason reason) {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  reading_ = false;
  driver().on_close();
  worker().forget(this, reason);
  accounted_bytes_ = 0;  // forget() took it off the worker's account
  conn_debug(*this, "closed ({})", backend::close_reason_name(reason));
  if (id_ != 0) {  // not for ones refused at accept
    // connection_closed only pairs a connection_opened: a connection that never got past
    // detection (a scanner, a probe) writes no event, so a flood of them cannot push real
    // events out of the capped stream (the metrics count its close).
    events::EventWriter* events = opened_ ? worker().events() : nullptr;
    if (settings().access_log || events != nullptr) {
      const events::ConnectionFacts facts = event_facts();
      const uint64_t duration_ms = now_ms() - accepted_ms_;
      if (settings().access_log) log_access(facts, duration_ms, reason);
      if (events != nullptr) {
        events->connection_closed(facts, {bytes_in_, bytes_out_, duration_ms,
                                          backend::close_reason_name(reason), authenticated_});
      }
    }
  }
  if (opened_) {
    opened_ = false;
    adapter().on_close(id_, reason);
  }
  worker().timers().cancel(*this);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_handle_closed);
}

std::string Connection::transport_text() const {
  if (!transport_) return {};
  backend::ConnInfo info;
  info.transport = transport_->first;
  info.framing = transport_->second;
  return backend::transport_path(info);
}

const std::string& Connection::secret_label() const {
  static const std::string kNone;
  return secret_ >= 0 ? listener().secrets[size_t(secret_)].label : kNone;
}

ConnectionRecord Connection::describe() const {
  ConnectionRecord r;
  r.id = id_;
  r.listener = listener().name;
  r.client = peer_.to_string();
  r.client_ip = peer_.host();
  r.transport = transport_text();
  r.secret = secret_label();
  r.authenticated = authenticated_;
  r.bytes_in = bytes_in_;
  r.bytes_out = bytes_out_;
  r.age_ms = now_ms() - accepted_ms_;
  return r;
}

void Connection::log_access(const events::ConnectionFacts& facts, uint64_t duration_ms,
                            backend::CloseReason reason) const {
  spdlog::info(
      "access: listener={} client={} transport={} secret={} in={} out={} duration_ms={} "
      "reason={}",
      facts.listener, facts.client, facts.transport.empty() ? "-" : facts.transport,
      facts.secret.empty() ? "-" : facts.secret, bytes_in_, bytes_out_, duration_ms,
      backend::close_reason_name(reason));
}

events::ConnectionFacts Connection::event_facts() const {
  events::ConnectionFacts facts;
  facts.conn_id = id_;
  facts.listener = listener().name;
  facts.client = peer_.to_string();
  facts.transport = transport_text();
  facts.secret = secret_label();
  facts.tls = tls_ != nullptr;
  facts.proxied = proxied_;
  return facts;
}

void Connection::on_handle_closed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  if (--self->open_handles_ == 0) delete self;
}

// ---- timer ----------------------------------------------------------------------------------

void Connection::arm_timer(uint64_t ms) {
  if (phase_ == Phase::kClosed) return;  // e.g. an adapter callback closed it meanwhile
  driver_due_ms_ = now_ms() + ms;
  arm_earliest();
}

void Connection::arm_earliest() {
  const uint64_t now = now_ms();
  const uint64_t due = std::min(driver_due_ms_, admission_due_ms());
  worker().timers().arm(*this, due > now ? due - now : 0);
}

uint64_t Connection::admission_due_ms() const {
  if (phase_ >= Phase::kClosing || fronting_) return UINT64_MAX;
  const ConnSettings& s = settings();
  uint64_t due = last_packet_ms_ == 0 ? accepted_ms_ + s.first_packet_timeout_ms
                                      : last_packet_ms_ + s.frame_timeout_ms;
  if (!authenticated_) due = std::min(due, accepted_ms_ + s.auth_timeout_ms);
  return due;
}

std::optional<GatewayError> Connection::missed_deadline() const {
  if (phase_ >= Phase::kClosing || fronting_) return std::nullopt;
  const ConnSettings& s = settings();
  const uint64_t now = now_ms();
  if (last_packet_ms_ == 0 && now >= accepted_ms_ + s.first_packet_timeout_ms) {
    return GatewayError::kFirstPacketTimeout;
  }
  if (last_packet_ms_ != 0 && now >= last_packet_ms_ + s.frame_timeout_ms) {
    return GatewayError::kFrameTimeout;
  }
  if (!authenticated_ && now >= accepted_ms_ + s.auth_timeout_ms) return GatewayError::kAuthTimeout;
  return std::nullopt;
}

void Connection::on_due() {
  switch (phase_) {
    case Phase::kFirstByte:
    case Phase::kOpen:
      if (proxy_header_ && now_ms() >= driver_due_ms_) {
        note_error(*this, GatewayError::kProxyHeaderTimeout);  // no header within the
        close_now(CloseReason::kTimeout);                      // first-byte/detect time
      } else if (const std::optional<GatewayError> missed = missed_deadline()) {
        note_error(*this, *missed);
        close_now(CloseReason::kTimeout);
      } else if (now_ms() >= driver_due_ms_) {
        driver().on_timer();
      } else {
        arm_earliest();  // a deadline that moved (a packet came) woke us early
      }
      return;
    case Phase::kClosing: close_now(close_reason_); return;
    case Phase::kClosed: return;
  }
}

void Connection::note_packet(bool encrypted) {
  last_packet_ms_ = now_ms();
  encrypted_seen_ = encrypted_seen_ || encrypted;
}

void Connection::account_memory() {
  const size_t now = phase_ == Phase::kClosed ? 0 : queued() + driver().buffered_bytes();
  if (now == accounted_bytes_) return;
  worker().account_memory(static_cast<int64_t>(now) - static_cast<int64_t>(accounted_bytes_));
  accounted_bytes_ = now;
}

void Connection::note_traffic() {
  last_activity_ms_ = now_ms();
  if (phase_ == Phase::kOpen) driver().on_traffic();
}

// ---- reading --------------------------------------------------------------------------------

void Connection::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  *buf = static_cast<Connection*>(handle->data)->worker().read_buffer();
}

void Connection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread == 0) return;
  if (nread < 0) {
    if (nread != UV_EOF) {
      conn_debug(*self, "read error {}", uv_err_name(static_cast<int>(nread)));
    }
    self->close_now(CloseReason::kPeerClosed);
    return;
  }
  self->handle_read(
      MutableByteView(reinterpret_cast<uint8_t*>(buf->base), static_cast<size_t>(nread)));
}

void Connection::handle_read(MutableByteView data) {
  if (phase_ >= Phase::kClosing) return;
  metrics().bytes_in.add(data.size());
  bytes_in_ += data.size();
  note_traffic();
  if (phase_ == Phase::kFirstByte) {
    phase_ = Phase::kOpen;  // the detection timer also bounds the TLS handshake
    arm_timer(settings().detect_timeout_ms);
  }
  if (proxy_header_) {
    data = take_proxy_header(data);
    if (proxy_header_ || data.empty()) {
      if (phase_ != Phase::kClosed) account_memory();
      return;
    }
  }
  if (tls_) {
    handle_tls_read(data);
  } else {
    driver().on_bytes(data);
  }
  if (phase_ != Phase::kClosed) account_memory();
}

MutableByteView Connection::take_proxy_header(MutableByteView data) {
  using codecs::proxy_protocol::ParseResult;
  Bytes& held = *proxy_header_;
  const size_t held_before = held.size();
  ParseResult parsed;
  if (held_before == 0) {
    parsed = codecs::proxy_protocol::parse_proxy_header(data);  // usually whole in one read
  } else {
    held.insert(held.end(), data.begin(), data.end());
    parsed = codecs::proxy_protocol::parse_proxy_header(held);
  }
  switch (parsed.state) {
    case ParseResult::State::kNeedMore:
      if (held_before == 0) held.assign(data.begin(), data.end());
      return {};
    case ParseResult::State::kError:
      note_error(*this, GatewayError::kProxyHeaderInvalid, "{}", parsed.error);
      close_now(CloseReason::kProtocolError);
      return {};
    case ParseResult::State::kDone: break;
  }
  proxy_header_.reset();
  const codecs::proxy_protocol::ProxyHeader& header = parsed.header;
  if (header.has_address) {
    const PeerAddress balancer = peer_;
    if (header.source.ss_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&header.source);
      std::memcpy(peer_.bytes.data(), &in->sin_addr, 4);
      peer_.port = ntohs(in->sin_port);
    } else {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&header.source);
      std::memcpy(peer_.bytes.data(), &in6->sin6_addr, 16);
      peer_.port = ntohs(in6->sin6_port);
    }
    peer_.family = static_cast<uint8_t>(header.source.ss_family);
    proxied_ = true;
    conn_debug(*this, "PROXY v{} header from {}", header.version, balancer.to_string());
  }
  if (!worker().admit_source(this)) return {};  // refused: closed
  return data.subspan(header.length - held_before);
}

void Connection::handle_tls_read(ByteView cipher) {
  const bool ok = tls_->feed(cipher);
  const MutableByteView plain = worker().tls_plain_buffer();
  while (ok && phase_ < Phase::kClosing) {
    const size_t n = tls_->read(plain);
    if (n == 0) break;
    driver().on_bytes(plain.first(n));
  }
  if (phase_ >= Phase::kClosing) return;
  if (tls_->failed()) {
    note_error(*this, GatewayError::kTlsError, "[{}]", tls_->error());
    flush();  // the alert, if any
    begin_close(CloseReason::kProtocolError);
  } else if (tls_->peer_closed()) {
    begin_close(CloseReason::kPeerClosed);
  } else if (tls_->has_output()) {
    mark_dirty();  // handshake records, session tickets
  }
}

void Connection::stop_reading() {
  if (reading_) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    reading_ = false;
  }
}

void Connection::start_reading() {
  if (phase_ >= Phase::kClosing) return;
  if (!reading_ && uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) == 0) {
    reading_ = true;
  }
}

// ---- modes ----------------------------------------------------------------------------------

void Connection::deliver(MutableByteView bytes) {
  if (phase_ != Phase::kOpen || fronting_) return;
  driver().on_bytes(bytes);
}

void Connection::open_adapter(backend::ConnInfo info) {
  info.id = id_;
  info.client_ip = peer_.host();
  info.client_port = peer_.port;
  info.listener = listener().name;
  info.tls = tls_ != nullptr;
  opened_ = true;
  transport_.emplace(info.transport, info.framing);
  if (!info.secret_label.empty()) {
    const auto& secrets = listener().secrets;
    for (size_t i = 0; i < secrets.size(); ++i) {
      if (secrets[i].label == info.secret_label) {
        secret_ = int32_t(i);
        break;
      }
    }
  }
  if (info.secret_label.empty()) {
    conn_debug(*this, "transport {}", backend::transport_path(info));
  } else {
    conn_debug(*this, "transport {} secret {} dc {}", backend::transport_path(info),
               info.secret_label, info.dc_id.value_or(0));
  }
  if (events::EventWriter* events = worker().events()) {
    events::ConnectionFacts facts = event_facts();
    facts.dc = info.dc_id;
    events->connection_opened(facts);
  }
  adapter().on_open(info);
}

void Connection::count_codec_error(codecs::CodecError error) {
  metrics().count(error);
  conn_debug(*this, "error {}", codecs::error_info(error).name);
}

void Connection::open_stream(
    backend::ConnInfo info, codecs::websocket::WsStreamStage* ws,
    const std::function<void(std::optional<codecs::TransportStack>&)>& build) {
  StreamDriver& stream = driver_.emplace<StreamDriver>(*this, ws);
  build(stream.stack());
  last_activity_ms_ = now_ms();
  arm_timer(stream.timer_due());
  open_adapter(std::move(info));
}

void Connection::accept(std::unique_ptr<SecureAccept> accept,
                        codecs::websocket::WsStreamStage* ws) {
  driver_.emplace<AcceptDriver>(*this, std::move(accept), ws);
}

void Connection::serve_http() {
  driver_.emplace<std::unique_ptr<ConnDriver>>(std::make_unique<HttpDriver>(*this));
}

void Connection::front_or_close(ByteView raw) {
  if (listener().fronting && !raw.empty()) {
    metrics().count(FrontingOutcome::kSpliced);
    conn_debug(*this, "fronting to {}", listener().fronting_text);
    fronting_ = true;
    // Built before the caller is replaced: `raw` may live in it.
    auto fronting = std::make_unique<FrontingDriver>(*this, worker().loop(), raw);
    driver_.emplace<std::unique_ptr<ConnDriver>>(std::move(fronting));
    return;
  }
  // No fronting server: stop reading, close after a short random delay.
  metrics().count(FrontingOutcome::kClosed);
  stop_reading();
  phase_ = Phase::kClosing;
  close_reason_ = CloseReason::kProtocolError;
  linger_ = true;
  arm_timer(kRejectDelayMinMs + random() % (kRejectDelayMaxMs - kRejectDelayMinMs));
}

HoldKey Connection::hold_key(uint64_t auth_key_id) const {
  HoldKey key{auth_key_id, {}};
  if (!worker().config().crypto.edge_decryption) key.source = source();  // unverified
  return key;
}

void Connection::hold_http(uint64_t old_key, uint64_t key) {
  HttpHolders& holders = worker().gateway().http_holders();
  if (old_key != 0) holders.release(hold_key(old_key), id_);
  if (key != 0) holders.hold(hold_key(key), id_);
}

std::optional<backend::ConnId> Connection::route_http(uint64_t key, ByteView packet) {
  std::optional<backend::ConnId> holder =
      worker().gateway().http_holders().longest(hold_key(key), id_);
  if (holder) {
    worker().gateway().route_http_packet(*holder, id_, Bytes(packet.begin(), packet.end()));
  }
  return holder;
}

// ---- the adapter's calls --------------------------------------------------------------------

bool Connection::send_packet(ByteView packet) {
  if (phase_ != Phase::kOpen) return true;  // closing: nothing more goes out
  // Without edge decryption: the backend answers after an encrypted packet with a message of
  // its own (a transport error is shorter than an auth_key_id).
  if (encrypted_seen_ && packet.size() >= kAuthKeyIdSize &&
      !worker().config().crypto.edge_decryption) {
    authenticated_ = true;
  }
  return driver().send_packet(packet);
}

bool Connection::take_routed_http(ByteView packet) {
  return phase_ == Phase::kOpen && driver().take_routed_http(packet);
}

void Connection::send_quick_ack(uint32_t token) {
  if (phase_ == Phase::kOpen) driver().send_quick_ack(token);
}

void Connection::send_transport_error(int32_t code) {
  if (phase_ == Phase::kOpen) driver().send_transport_error(code);
}

void Connection::resume_reading() {
  if (phase_ == Phase::kOpen) driver().resume_reading();
}

// ---- the write path -------------------------------------------------------------------------

void Connection::mark_dirty() {
  if (!dirty && phase_ != Phase::kClosed) worker().mark_dirty(this);
}

bool Connection::room_for(size_t bytes) {
  if (out_.fits(bytes)) return true;
  note_error(*this, GatewayError::kOutboundLimit, "[queued = {}]", queued());
  close_now(CloseReason::kLimit);
  return false;
}

bool Connection::after_enqueue() {
  mark_dirty();
  return out_.note_appended();
}

void Connection::flush() {
  if (phase_ == Phase::kClosed || out_.writing()) return;
  if (tls_) {
    // The drivers queued plaintext: it leaves as TLS records.
    if (!out_.pending().empty()) {
      tls_->write(out_.pending());
      out_.pending().clear();
    }
    tls_->take_output(out_.pending());
  }
  if (out_.pending().empty()) return;
  account_memory();
  const size_t written = out_.flush(reinterpret_cast<uv_stream_t*>(&tcp_));
  metrics().bytes_out.add(written);
  bytes_out_ += written;
  if (phase_ == Phase::kClosed || out_.writing() || written == 0) return;
  after_write();
}

const io::OutboundEvents Connection::kOutboundEvents = {
    &Connection::on_written, &Connection::on_write_failed, &Connection::on_low};

void Connection::on_written(uv_stream_t* stream, size_t bytes) {
  auto* self = static_cast<Connection*>(stream->data);
  self->metrics().bytes_out.add(bytes);
  self->bytes_out_ += bytes;
  if (self->phase_ == Phase::kClosed) return;
  self->after_write();
}

void Connection::on_write_failed(uv_stream_t* stream, int /*status*/) {
  auto* self = static_cast<Connection*>(stream->data);
  if (self->phase_ != Phase::kClosed) self->close_now(CloseReason::kPeerClosed);
}

void Connection::on_low(uv_stream_t* stream) {
  auto* self = static_cast<Connection*>(stream->data);
  if (self->phase_ == Phase::kOpen) self->driver().on_drained();
}

void Connection::after_write() {
  note_traffic();
  if (phase_ != Phase::kClosed) account_memory();
  if (!out_.pending().empty() || (tls_ && tls_->has_output())) {
    flush();  // what accumulated meanwhile goes out as one write
  } else if (settings().park_after_ms == 0) {
    // Drained. Mid-size buffers stay for the next writes (no fresh pages per frame) until
    // the connection parks; without parking everything goes now.
    out_.release_buffers();
  }
  if (phase_ == Phase::kClosing && !linger_ && !out_.writing() && out_.empty()) {
    close_now(close_reason_);
  }
}

}  // namespace mtedge::gateway
