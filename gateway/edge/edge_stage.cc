#include "gateway/edge/edge_stage.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "mtproto/message/message.h"

namespace mtedge::gateway {

using backend::ConnId;
using backend::Frame;
using backend::FrameKind;

namespace {

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

EdgeStage::EdgeStage(std::shared_ptr<EdgeCrypto> crypto, backend::GatewaySink& sink,
                     EdgeStageOptions options)
    : crypto_(std::move(crypto)), sink_(sink), options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = unix_now_ms;
  conns_.max_load_factor(backend::kPerConnectionMapLoad);
  if (options_.sweep_loop != nullptr && options_.sweep_interval_ms > 0) {
    sweep_timer_ = new uv_timer_t{};
    uv_timer_init(options_.sweep_loop, sweep_timer_);
    sweep_timer_->data = this;
    uv_timer_start(
        sweep_timer_,
        [](uv_timer_t* timer) {
          auto* self = static_cast<EdgeStage*>(timer->data);
          self->crypto_->sweep(self->options_.now_ms());
        },
        options_.sweep_interval_ms, options_.sweep_interval_ms);
    uv_unref(reinterpret_cast<uv_handle_t*>(sweep_timer_));
  }
  if (options_.offload) {
    mailbox_ = std::make_shared<Mailbox>();
    mailbox_->stage = this;
    mailbox_->post = options_.post;
  }
}

EdgeStage::~EdgeStage() {
  stop_sweep_timer();
  if (mailbox_) {
    std::lock_guard lock(mailbox_->mu);
    mailbox_->stage = nullptr;
  }
}

void EdgeStage::set_inner(std::unique_ptr<backend::BackendAdapter> inner) {
  inner_ = std::move(inner);
}

void EdgeStage::stop_sweep_timer() {
  if (sweep_timer_ == nullptr) return;
  uv_timer_stop(sweep_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(sweep_timer_),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
  sweep_timer_ = nullptr;
}

void EdgeStage::count(GatewayError error) {
  if (options_.metrics != nullptr) {
    options_.metrics->count(error);
  }
}

// ---- BackendAdapter ------------------------------------------------------------------------

void EdgeStage::on_open(const backend::ConnInfo& info) {
  conns_.try_emplace(info.id).first->second.http = info.transport == codecs::TransportKind::kHttp;
  inner_->on_open(info);
}

bool EdgeStage::on_frame(const Frame& frame) {
  auto it = conns_.find(frame.conn_id);
  // A connection that closed (or never opened) takes nothing: its adapter already heard
  // on_close and must not see a frame for it again.
  if (it == conns_.end()) return true;
  Conn& conn = it->second;
  if (conn.step_in_flight) {
    // Read before the pause took effect: kept, in order, for when the step is done. A client
    // waits for the handshake's answer; one that piles packets behind it is closed.
    if (conn.held.size() >= kMaxHeldFrames) {
      sink_.close(frame.conn_id, "too many packets behind a handshake step");
      return false;
    }
    conn.held.push_back({frame.kind, frame.auth_key_id, frame.quick_ack,
                         Bytes(frame.packet.begin(), frame.packet.end())});
    return false;
  }
  return dispatch(frame.conn_id, conn, frame);
}

bool EdgeStage::dispatch(ConnId id, Conn& conn, const Frame& frame) {
  switch (frame.kind) {
    case FrameKind::kUnencrypted: return on_unencrypted(id, conn, frame);
    case FrameKind::kEncrypted: return on_encrypted(id, conn, frame);
    case FrameKind::kDecrypted: break;  // the worker never produces these
  }
  return to_inner(id, frame);
}

bool EdgeStage::to_inner(ConnId id, const Frame& frame) {
  const bool more = inner_->on_frame(frame);
  if (!more) {
    auto it = conns_.find(id);  // taking the frame may have closed the connection
    if (it != conns_.end()) it->second.inner_paused = true;
  }
  return more;
}

bool EdgeStage::on_unencrypted(ConnId id, Conn& conn, const Frame& frame) {
  if (!conn.handshake) {
    conn.handshake = std::make_shared<mtproto::HandshakeServer>(
        crypto_->handshake(), options_.client_ip ? options_.client_ip(id) : std::string(),
        conn.http);
  }
  const int64_t now_ms = options_.now_ms();
  if (options_.offload && mtproto::HandshakeServer::costly(frame.packet)) {
    if (offload_step(id, conn, frame, now_ms)) return false;
    // The crypto threads are a full queue behind: shed this one cheaply, the client retries.
    count(GatewayError::kHandshakeRefused);
    spdlog::debug("conn {:#x}: handshake refused with -429: crypto queue full", id);
    sink_.send_transport_error(id, mtproto::kTransportErrorFlood);
    return true;
  }
  answer_handshake(id, conn.handshake->handle_payload(frame.packet, now_ms));
  return true;
}

bool EdgeStage::offload_step(ConnId id, Conn& conn, const Frame& frame, int64_t now_ms) {
  Bytes packet(frame.packet.begin(), frame.packet.end());
  const bool taken = options_.offload([server = conn.handshake, packet = std::move(packet), now_ms,
                                       mailbox = mailbox_, id]() mutable {
    auto out = std::make_shared<mtproto::HandshakeOutput>(server->handle_payload(packet, now_ms));
    std::weak_ptr<mtproto::HandshakeServer> weak = server;
    server.reset();  // the connection closed meanwhile: its exchanges end here
    std::lock_guard lock(mailbox->mu);
    if (mailbox->stage == nullptr) return;
    mailbox->post([mailbox, id, weak = std::move(weak), out = std::move(out)] {
      EdgeStage* stage;
      {
        std::lock_guard stage_lock(mailbox->mu);
        stage = mailbox->stage;
      }
      if (stage != nullptr) stage->step_done(id, weak, std::move(*out));
    });
  });
  conn.step_in_flight = taken;
  return taken;
}

void EdgeStage::step_done(ConnId id, const std::weak_ptr<mtproto::HandshakeServer>& server,
                          mtproto::HandshakeOutput out) {
  auto it = conns_.find(id);
  auto alive = server.lock();
  // Closed meanwhile (or, were an id ever reused, another connection): the result is dropped.
  if (it == conns_.end() || !alive || it->second.handshake != alive) return;
  alive.reset();
  it->second.step_in_flight = false;
  answer_handshake(id, std::move(out));
  release_held(id);
}

void EdgeStage::release_held(ConnId id) {
  while (true) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;  // closed by a reply or by the inner adapter
    Conn& conn = it->second;
    if (conn.step_in_flight) return;  // a held frame started another step: it resumes later
    if (conn.held.empty()) {
      if (!conn.inner_paused) sink_.resume_reading(id);
      return;
    }
    HeldFrame held = std::move(conn.held.front());
    conn.held.pop_front();
    Frame frame;
    frame.conn_id = id;
    frame.kind = held.kind;
    frame.auth_key_id = held.auth_key_id;
    frame.quick_ack = held.quick_ack;
    frame.packet = held.packet;
    dispatch(id, conn, frame);
  }
}

void EdgeStage::answer_handshake(ConnId id, mtproto::HandshakeOutput out) {
  if (out.kind == mtproto::HandshakeOutput::Kind::kTransportError) {
    count(out.rate_limited ? GatewayError::kHandshakeRateLimited : GatewayError::kHandshakeRefused);
    spdlog::debug("conn {:#x}: handshake refused with {}: {}", id, out.transport_error, out.reason);
    sink_.send_transport_error(id, out.transport_error);
    return;
  }
  if (out.completed) {
    spdlog::debug("conn {:#x}: auth key {:#018x} created ({})", id, out.completed->key.id(),
                  out.completed->temp ? "temporary" : "permanent");
    inner_->on_auth_key_created(out.completed->key.id(),
                                static_cast<int64_t>(out.completed->server_salt));
  } else if (!out.reason.empty()) {
    spdlog::debug("conn {:#x}: handshake: {}", id, out.reason);
  }
  // Handshake replies are small and one per query: they never pause the client.
  sink_.send_packet(id, out.reply);
}

bool EdgeStage::on_encrypted(ConnId id, Conn& conn, const Frame& frame) {
  const int64_t now_ms = options_.now_ms();
  if (!conn.key || conn.key->id() != frame.auth_key_id) {
    conn.key = crypto_->store()->find(frame.auth_key_id);
  }
  if (!conn.key || conn.key->expired(now_ms / 1000)) {
    // Only a key that is really unknown gets -404 (docs/spec/wire-notes.md §9.7); the store is in
    // memory, so a miss is never a transient failure.
    conn.key.reset();
    count(GatewayError::kUnknownAuthKey);
    spdlog::debug("conn {:#x}: unknown auth key {:#018x}", id, frame.auth_key_id);
    sink_.send_transport_error(id, mtproto::kTransportErrorBadQuery);
    return true;
  }
  // The frame is a read-only view; decryption works in place on a copy.
  scratch_.assign(frame.packet.begin(), frame.packet.end());
  auto message = mtproto::decrypt_message(conn.key->key, scratch_);
  if (!message) {
    count(GatewayError::kBadEncrypted);
    spdlog::debug("conn {:#x}: encrypted message failed verification", id);
    sink_.close(id, "encrypted message failed verification");
    return true;
  }
  // The client has its key: the exchange that made it (and, when nothing else is left, the
  // connection's handshake state) is freed. This is the last use of `conn`: the calls below
  // may close the connection, which erases it.
  if (conn.handshake && conn.handshake->key_used(frame.auth_key_id)) conn.handshake.reset();
  sink_.mark_authenticated(id);  // ends the connection's auth deadline; never closes it

  Frame decrypted;
  decrypted.conn_id = id;
  decrypted.kind = FrameKind::kDecrypted;
  decrypted.auth_key_id = frame.auth_key_id;
  decrypted.quick_ack = frame.quick_ack;
  decrypted.salt = static_cast<int64_t>(message->salt);
  decrypted.session_id = static_cast<int64_t>(message->session_id);
  decrypted.msg_id = static_cast<int64_t>(message->msg_id);
  decrypted.seq_no = static_cast<int32_t>(message->seq_no);
  decrypted.body = message->body;
  if (frame.quick_ack) decrypted.quick_ack_token = message->quick_ack_token;
  const bool more = to_inner(id, decrypted);
  // The quick-ack says "the server has it": it goes out once the adapter took the frame, and
  // only if taking it did not close the connection; or the adapter sends it (when what the
  // frame changed is durable, say).
  if (frame.quick_ack && !inner_->sends_quick_acks() && conns_.contains(id)) {
    sink_.send_quick_ack(id, message->quick_ack_token);
  }
  return more;
}

void EdgeStage::on_client_quiet(ConnId conn) {
  inner_->on_client_quiet(conn);
}

void EdgeStage::on_client_drained(ConnId conn) {
  inner_->on_client_drained(conn);
}

void EdgeStage::on_close(ConnId conn, backend::CloseReason reason) {
  // Drops the connection's HandshakeServer (its permits go back; an offloaded step keeps it
  // until the step is done, then its result is dropped).
  conns_.erase(conn);
  inner_->on_close(conn, reason);
}

void EdgeStage::stop(std::function<void()> done) {
  stop_sweep_timer();
  inner_->stop(std::move(done));
}

// ---- GatewaySink ---------------------------------------------------------------------------

bool EdgeStage::send_packet(ConnId conn, backend::ByteView packet) {
  return sink_.send_packet(conn, packet);
}

bool EdgeStage::send_message(ConnId conn, const backend::OutboundMessage& message) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return true;  // gone: the adapter hears (or heard) on_close
  if (!it->second.key) {
    spdlog::error("conn {:#x}: the backend sent a message before the client used a key; closing",
                  conn);
    sink_.close(conn, "send_message without an auth key");
    return false;
  }
  mtproto::OutgoingMessage out;
  out.salt = static_cast<uint64_t>(message.salt);
  out.session_id = static_cast<uint64_t>(message.session_id);
  out.msg_id = static_cast<uint64_t>(message.msg_id);
  out.seq_no = static_cast<uint32_t>(message.seq_no);
  out.body = message.body;
  out_.clear();
  Status status = mtproto::encrypt_message(it->second.key->key, out, out_, options_.random);
  if (!status) {
    spdlog::error("conn {:#x}: cannot encrypt a backend message: {}; closing", conn,
                  status.message());
    sink_.close(conn, "backend message cannot be encrypted");
    return false;
  }
  return sink_.send_packet(conn, out_);
}

void EdgeStage::send_quick_ack(ConnId conn, uint32_t token) {
  sink_.send_quick_ack(conn, token);
}

void EdgeStage::send_transport_error(ConnId conn, int32_t code) {
  sink_.send_transport_error(conn, code);
}

void EdgeStage::close(ConnId conn, std::string_view reason) {
  sink_.close(conn, reason);
}

void EdgeStage::resume_reading(ConnId conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  it->second.inner_paused = false;
  // A handshake step or held frames still pause it: release_held resumes when they are done.
  if (it->second.step_in_flight || !it->second.held.empty()) return;
  sink_.resume_reading(conn);
}

}  // namespace mtedge::gateway
