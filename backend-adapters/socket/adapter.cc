#include "backend-adapters/socket/adapter.h"

#include <spdlog/spdlog.h>
#include <uv.h>

#include <algorithm>
#include <cassert>

#include "backend-adapters/socket/stream.h"

namespace mtedge::backend::socket {
namespace {
// A decrypted connection may carry several sessions; more than this and the oldest is
// forgotten (it can still be reached by its connection id or its auth key).
constexpr size_t kMaxSessionsPerClient = 8;
}  // namespace

SocketCounters::SocketCounters(AdapterMetrics& m)
    : frames_to_backend(m.counter("mtedge_socket_frames_to_backend_total",
                                  "Client frames written to backend streams.")),
      messages_from_backend(m.counter("mtedge_socket_messages_from_backend_total",
                                      "Messages read from backend streams.")),
      down_outcomes(m.counter("mtedge_socket_down_outcomes_total",
                              "Clients given on_backend_down because their endpoint was down.")),
      deadline_expired(m.counter("mtedge_socket_deadline_expired_total",
                                 "Client frames that waited past message_deadline_ms.")),
      queue_overflows(m.counter("mtedge_socket_queue_overflows_total",
                                "Clients failed because a stream queue reached max_queued_bytes.")),
      undelivered(m.counter("mtedge_socket_undelivered_total",
                            "Backend messages whose target was not on their stream.")),
      stream_failures(
          m.counter("mtedge_socket_stream_failures_total",
                    "Backend streams that failed (refused, reset, EOF, timeout, breach).")),
      protocol_errors(m.counter("mtedge_socket_protocol_errors_total",
                                "Backend protocol breaches: bad messages, sends beyond credit.")),
      rebinds(m.counter("mtedge_socket_rebinds_total",
                        "Connections moved to another endpoint by a new auth key.")),
      credit_share_settled(m.counter(
          "mtedge_socket_credit_share_settled_total",
          "Backend messages to a slow client whose credit was settled: it held its share.")),
      write_stalls(m.counter("mtedge_socket_write_stalls_total",
                             "Streams failed because the backend read nothing within "
                             "write_deadline_ms.")) {}

SocketAdapter::SocketAdapter(std::shared_ptr<const SocketConfig> config,
                             std::shared_ptr<const RendezvousHash> hash,
                             const AdapterContext& context)
    : config_(std::move(config)),
      hash_(std::move(hash)),
      context_(context),
      loads_(config_->endpoints.size(), 0),
      dirty_(context.loop, &io::FlushList::call<BackendStream, &BackendStream::flush>),
      read_buffer_(64 * 1024),
      own_metrics_(context.metrics == nullptr ? std::make_unique<AdapterMetrics>() : nullptr),
      counters_(context.metrics != nullptr ? *context.metrics : *own_metrics_) {
  assert(context_.loop != nullptr && context_.sink != nullptr);
  for (size_t i = 0; i < config_->endpoints.size(); ++i) {
    streams_.push_back(new BackendStream(*this, i, config_->endpoints[i]));
  }
  for (BackendStream* stream : streams_) stream->start();
}

SocketAdapter::~SocketAdapter() {
  for (BackendStream* stream : streams_) stream->shutdown();
}

void SocketAdapter::on_open(const ConnInfo& info) {
  if (stopping_) {
    sink().close(info.id, "socket adapter stopping");
    return;
  }
  // Bound at its first frame, when its auth_key_id is known.
  clients_[info.id] = Client{info};
}

bool SocketAdapter::on_frame(const Frame& frame) {
  if (stopping_) return true;  // stop() is closing every client
  auto it = clients_.find(frame.conn_id);
  if (it == clients_.end() || it->second.failed) return true;  // the gateway is closing it
  Client& client = it->second;
  bool rebind = frame.auth_key_id != 0 && frame.auth_key_id != client.auth_key_id;
  if (client.endpoint < 0 || rebind) {
    if (!bind(frame.conn_id, client, frame)) return true;
  }
  BackendStream& stream = *streams_[static_cast<size_t>(client.endpoint)];
  if (!stream.accepting()) {
    counters_.down_outcomes.add();
    fail_client(frame.conn_id, "backend endpoint down");
    return true;
  }
  track_session(frame.conn_id, client, frame);
  switch (stream.send_frame(frame.conn_id, frame)) {
    case SendResult::kAccepted: return true;
    case SendResult::kPause: return false;
    case SendResult::kOverflow:
      counters_.queue_overflows.add();
      fail_client(frame.conn_id, "backend queue limit (max_queued_bytes)");
      return true;
  }
  return true;
}

bool SocketAdapter::bind(ConnId id, Client& client, const Frame& frame) {
  size_t target = 0;
  if (frame.auth_key_id != 0) {
    target = hash_->pick(frame.auth_key_id);
  } else {
    target = hash_->pick_bounded(id, loads_, config_->handshake_load_factor);
  }
  if (client.endpoint == static_cast<int>(target)) {
    client.auth_key_id = frame.auth_key_id;
    return true;
  }
  if (client.endpoint >= 0) {
    // A new auth key on this connection (e.g. after its handshake): it moves to the
    // key's endpoint. The old endpoint sees it close.
    counters_.rebinds.add();
    unbind(id, client, v1::CLOSE_REASON_REBOUND);
  }
  BackendStream& stream = *streams_[target];
  if (!stream.accepting()) {
    counters_.down_outcomes.add();
    give_outcome(id, "backend endpoint down");
    return false;
  }
  client.endpoint = static_cast<int>(target);
  client.auth_key_id = frame.auth_key_id;
  ++loads_[target];
  stream.send_control(id, make_conn_opened(client.info));
  return true;
}

void SocketAdapter::unbind(ConnId id, Client& client, v1::CloseReason reason) {
  untrack_sessions(id, client);
  if (client.endpoint < 0 || stopping_) return;  // after stop() the streams are gone
  BackendStream& stream = *streams_[static_cast<size_t>(client.endpoint)];
  --loads_[static_cast<size_t>(client.endpoint)];
  client.endpoint = -1;
  stream.forget(id);
  stream.send_control(id, make_conn_closed(id, reason));
}

void SocketAdapter::fail_client(ConnId id, std::string_view reason) {
  auto it = clients_.find(id);
  if (it == clients_.end() || it->second.failed) return;
  Client& client = it->second;
  if (client.endpoint >= 0) streams_[static_cast<size_t>(client.endpoint)]->drop_frames(id);
  unbind(id, client, v1::CLOSE_REASON_ADAPTER);
  give_outcome(id, reason);
}

void SocketAdapter::give_outcome(ConnId id, std::string_view reason) {
  auto it = clients_.find(id);
  if (it != clients_.end()) it->second.failed = true;
  spdlog::debug("socket: conn {:#x}: {}", id, reason);
  // The sink may call on_close right away; nothing here touches the client afterwards.
  const DownOutcome& outcome = config_->on_backend_down;
  if (outcome.close) {
    sink().close(id, reason);
  } else {
    sink().send_transport_error(id, outcome.error_code);
  }
}

void SocketAdapter::on_stream_down(BackendStream& stream) {
  std::vector<ConnId> bound;
  for (auto& [id, client] : clients_) {
    if (client.endpoint == static_cast<int>(stream.index()) && !client.failed) {
      bound.push_back(id);
      untrack_sessions(id, client);
      client.endpoint = -1;  // the stream's session is gone: nothing more to tell it
    }
  }
  loads_[stream.index()] = 0;
  counters_.down_outcomes.add(bound.size());
  for (ConnId id : bound) give_outcome(id, "backend endpoint down");
}

void SocketAdapter::on_auth_key_created(uint64_t auth_key_id, int64_t server_salt) {
  if (stopping_) return;
  // The stream the key's frames will take (bind()), so the announcement is ahead of them.
  streams_[hash_->pick(auth_key_id)]->send_auth_key_created(auth_key_id, server_salt);
}

void SocketAdapter::on_client_drained(ConnId id) {
  if (stopping_) return;
  auto it = clients_.find(id);
  if (it == clients_.end() || it->second.endpoint < 0) return;
  streams_[static_cast<size_t>(it->second.endpoint)]->release_credit(id);
}

void SocketAdapter::on_close(ConnId id, CloseReason reason) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return;
  Client client = std::move(it->second);
  clients_.erase(it);
  if (!client.failed) unbind(id, client, to_wire(reason));
}

void SocketAdapter::track_session(ConnId id, Client& client, const Frame& frame) {
  // Only keys the edge verified make a connection a session target: the auth_key_id of an
  // encrypted (pass-through) frame is whatever the client sent, and would let anyone divert
  // another client's session-addressed frames. Those frames must be addressed by conn_id.
  if (frame.auth_key_id == 0 || frame.kind != FrameKind::kDecrypted) return;
  auto touch = [&](SessionKey key) {
    std::vector<ConnId>& conns = sessions_[key];
    auto found = std::find(conns.begin(), conns.end(), id);
    if (found == conns.end()) {
      if (client.sessions.size() >= kMaxSessionsPerClient) {
        SessionKey oldest = client.sessions.front();
        client.sessions.erase(client.sessions.begin());
        auto old = sessions_.find(oldest);
        if (old != sessions_.end()) {
          std::erase(old->second, id);
          if (old->second.empty()) sessions_.erase(old);
        }
      }
      client.sessions.push_back(key);
      conns.push_back(id);
    } else if (found + 1 != conns.end()) {
      std::rotate(found, found + 1, conns.end());  // most recently active last
    }
  };
  touch({frame.auth_key_id, 0});
  if (frame.kind == FrameKind::kDecrypted && frame.session_id != 0) {
    touch({frame.auth_key_id, frame.session_id});
  }
}

void SocketAdapter::untrack_sessions(ConnId id, Client& client) {
  for (const SessionKey& key : client.sessions) {
    auto it = sessions_.find(key);
    if (it == sessions_.end()) continue;
    std::erase(it->second, id);
    if (it->second.empty()) sessions_.erase(it);
  }
  client.sessions.clear();
}

bool SocketAdapter::bound_to(ConnId id, const BackendStream& stream) const {
  auto it = clients_.find(id);
  return it != clients_.end() && !it->second.failed &&
         it->second.endpoint == static_cast<int>(stream.index());
}

std::optional<ConnId> SocketAdapter::resolve(const BackendStream& stream,
                                             const v1::ServerFrame& frame) const {
  if (frame.target_case() == v1::ServerFrame::kConnId) {
    if (bound_to(frame.conn_id(), stream)) return frame.conn_id();
    return std::nullopt;
  }
  auto it = sessions_.find({frame.session().auth_key_id(), frame.session().session_id()});
  if (it == sessions_.end()) return std::nullopt;
  for (auto conn = it->second.rbegin(); conn != it->second.rend(); ++conn) {
    if (bound_to(*conn, stream)) return *conn;
  }
  return std::nullopt;
}

std::optional<ConnId> SocketAdapter::on_backend_message(BackendStream& stream,
                                                        const v1::BackendMessage& message) {
  // A backend may only act on clients bound to its own stream.
  switch (message.kind_case()) {
    case v1::BackendMessage::kFrame: {
      const v1::ServerFrame& frame = message.frame();
      std::optional<ConnId> conn = resolve(stream, frame);
      if (!conn) {
        counters_.undelivered.add();
        stream.send_undelivered(frame);
        return std::nullopt;
      }
      bool below_high = true;
      if (!frame.packet().empty()) {
        below_high = sink().send_packet(*conn, as_bytes(frame.packet()));
      } else {
        const v1::DecryptedMessage& m = frame.message();
        OutboundMessage out{m.salt(), m.session_id(), m.msg_id(), m.seq_no(), as_bytes(m.body())};
        below_high = sink().send_message(*conn, out);
      }
      // The sink may have closed the client; credit is held only for a live one.
      if (!below_high && bound_to(*conn, stream)) return conn;
      return std::nullopt;
    }
    case v1::BackendMessage::kQuickAck:
      if (bound_to(message.quick_ack().conn_id(), stream)) {
        sink().send_quick_ack(message.quick_ack().conn_id(), message.quick_ack().token());
      } else {
        counters_.undelivered.add();
      }
      return std::nullopt;
    case v1::BackendMessage::kTransportError:
      if (bound_to(message.transport_error().conn_id(), stream)) {
        sink().send_transport_error(message.transport_error().conn_id(),
                                    message.transport_error().code());
      } else {
        counters_.undelivered.add();
      }
      return std::nullopt;
    case v1::BackendMessage::kClose:
      if (bound_to(message.close().conn_id(), stream)) {
        sink().close(message.close().conn_id(), "closed by the backend");
      } else {
        counters_.undelivered.add();
      }
      return std::nullopt;
    case v1::BackendMessage::kHello:
    case v1::BackendMessage::kCredit:
    case v1::BackendMessage::KIND_NOT_SET: return std::nullopt;  // the stream handles these
  }
  return std::nullopt;
}

void SocketAdapter::mark_dirty(BackendStream* stream) {
  dirty_.add(stream, stream->dirty);
}

bool SocketAdapter::backend_up() const {
  for (const BackendStream* stream : streams_) {
    if (stream->ready()) return true;
  }
  return false;
}

void SocketAdapter::stop(std::function<void()> done) {
  stopping_ = true;
  done_ = std::move(done);
  std::vector<ConnId> ids;
  ids.reserve(clients_.size());
  for (const auto& [id, client] : clients_) ids.push_back(id);
  for (ConnId id : ids) sink().close(id, "socket adapter stopping");
  spdlog::info(
      "socket: worker {}: stopping [frames_to_backend = {}, messages_from_backend = {}, "
      "down_outcomes = {}, deadline_expired = {}, queue_overflows = {}, undelivered = {}, "
      "stream_failures = {}, protocol_errors = {}, rebinds = {}, credit_share_settled = {}, "
      "write_stalls = {}]",
      worker(), counters_.frames_to_backend.get(), counters_.messages_from_backend.get(),
      counters_.down_outcomes.get(), counters_.deadline_expired.get(),
      counters_.queue_overflows.get(), counters_.undelivered.get(), counters_.stream_failures.get(),
      counters_.protocol_errors.get(), counters_.rebinds.get(),
      counters_.credit_share_settled.get(), counters_.write_stalls.get());
  for (BackendStream* stream : streams_) stream->shutdown();
  streams_.clear();
  dirty_.close([this] {
    dirty_closed_ = true;
    maybe_done();
  });
}

void SocketAdapter::maybe_done() {
  // Waits for the flush list's handles: `done` may destroy this adapter.
  if (!stopping_ || !dirty_closed_ || !done_) return;
  auto done = std::move(done_);
  done_ = nullptr;
  done();
}

}  // namespace mtedge::backend::socket
