#include "backend-adapters/socket/stream.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/un.h>

#include <algorithm>
#include <cassert>

#include "backend-adapters/socket/adapter.h"

namespace mtedge::backend::socket {

// One socket attempt. Heap-allocated so that a failed socket can finish closing (and its
// pending write callbacks can run) while the stream already reconnects with a new one.
struct Link {
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } handle;
  uv_connect_t connect;
  BackendStream* owner = nullptr;  // null once abandoned
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle); }
  uv_handle_t* as_handle() { return reinterpret_cast<uv_handle_t*>(&handle); }
  void abandon() {
    owner = nullptr;
    uv_close(as_handle(), [](uv_handle_t* h) { delete static_cast<Link*>(h->data); });
  }
};

// Write events come only from the current link: a failed link's write was let go by reset().
const io::OutboundEvents BackendStream::kOutboundEvents{
    [](uv_stream_t* stream, size_t) { static_cast<Link*>(stream->data)->owner->flush(); },
    [](uv_stream_t* stream, int status) {
      static_cast<Link*>(stream->data)
          ->owner->fail(fmt::format("write failed: {}", uv_strerror(status)), false);
    }};

BackendStream::BackendStream(SocketAdapter& owner, size_t index, const Endpoint& endpoint)
    : owner_(&owner),
      index_(index),
      endpoint_(endpoint),
      config_(owner.config()),
      reader_(owner.config().max_message_bytes),
      ledger_(owner.config().credit_window, owner.config().max_held_credit_per_client),
      backoff_ms_(owner.config().reconnect_min_ms),
      jitter_(static_cast<uint32_t>(index * 7919 + owner.worker() + 1)) {
  uv_timer_init(owner.loop(), &timer_);
  uv_timer_init(owner.loop(), &deadline_);
  uv_timer_init(owner.loop(), &write_deadline_);
  timer_.data = this;
  deadline_.data = this;
  write_deadline_.data = this;
}

void BackendStream::start() {
  connect();
}

void BackendStream::connect() {
  assert(link_ == nullptr);
  // A fresh reader per socket (not reset in fail(), which may run inside the old one's feed).
  reader_ = DelimitedReader(config_.max_message_bytes);
  auto* link = new Link;
  link->owner = this;
  link->connect.data = link;
  int rc = 0;
  if (endpoint_.is_unix) {
    uv_pipe_init(owner_->loop(), &link->handle.pipe, 0);
    link->handle.pipe.data = link;
    uv_pipe_connect(&link->connect, &link->handle.pipe, endpoint_.path.c_str(), connect_cb);
  } else {
    uv_tcp_init(owner_->loop(), &link->handle.tcp);
    link->handle.tcp.data = link;
    uv_tcp_nodelay(&link->handle.tcp, 1);
    rc = uv_tcp_connect(&link->connect, &link->handle.tcp,
                        reinterpret_cast<const sockaddr*>(&endpoint_.addr), connect_cb);
  }
  link_ = link;
  if (rc != 0) {
    fail(fmt::format("connect failed: {}", uv_strerror(rc)), false);
    return;
  }
  uv_timer_start(&timer_, timer_cb, config_.connect_timeout_ms, 0);
}

void BackendStream::on_connected(int status) {
  if (status < 0) {
    fail(fmt::format("connect failed: {}", uv_strerror(status)), false);
    return;
  }
  connected_ = true;
  uv_read_start(link_->stream(), alloc_cb, read_cb);
  HelloParams params;
  params.gateway_id = config_.gateway_id;
  params.endpoint = endpoint_.name;
  params.worker = owner_->worker();
  params.initial_credit = ledger_.window();
  params.max_message_bytes = static_cast<uint32_t>(config_.max_message_bytes);
  write_now(make_hello(params));
  flush();
}

void BackendStream::on_hello(const v1::HelloAck& hello) {
  uv_timer_stop(&timer_);
  ready_ = true;
  down_ = false;
  backoff_ms_ = config_.reconnect_min_ms;
  wants_auth_keys_ = has_capability(hello, kAuthKeyCreatedCapability);
  ledger_.add_send_credit(hello.initial_credit());
  spdlog::info("socket: worker {} endpoint {}: ready (backend \"{}\", protocol v{}, credit {}{})",
               owner_->worker(), endpoint_.name, hello.backend_id().substr(0, 64), hello.version(),
               hello.initial_credit(), wants_auth_keys_ ? ", auth-key-created" : "");
  drain();
}

bool BackendStream::on_message(ByteView bytes) {
  Status status = parse_backend_message(bytes, ready_, message_);
  if (!status) {
    fail(status.message(), true);
    return false;
  }
  owner_->counters().messages_from_backend.add();
  if (!ready_) {
    on_hello(message_.hello());
    return !stopping_;
  }
  if (message_.kind_case() == v1::BackendMessage::kCredit) {
    ledger_.add_send_credit(message_.credit().messages());
    drain();
    return link_ != nullptr;
  }
  if (costs_credit(message_) && !ledger_.charge()) {
    fail("message beyond the granted credit", true);
    return false;
  }
  std::optional<ConnId> held = owner_->on_backend_message(*this, message_);
  if (held) {
    if (!ledger_.hold(*held)) owner_->counters().credit_share_settled.add();
  } else {
    ledger_.settle();
  }
  // The adapter's sink calls may have failed this stream (never shut it down).
  return link_ != nullptr;
}

void BackendStream::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0) return;
  if (nread < 0) {
    fail(nread == UV_EOF ? std::string("backend closed the connection")
                         : fmt::format("read error: {}", uv_strerror(static_cast<int>(nread))),
         false);
    return;
  }
  ByteView bytes(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread));
  DelimitedError error = reader_.feed(bytes, *this);
  if (link_ == nullptr) return;  // failed inside
  if (error != DelimitedError::kNone) {
    fail(fmt::format("protocol error: {}", delimited_error_name(error)), true);
    return;
  }
  reader_.shrink();
  maybe_grant();
}

void BackendStream::maybe_grant() {
  if (!ready_) return;
  uint32_t grant = ledger_.take_grant(ledger_.backend_credit() == 0);
  if (grant > 0) write_now(make_credit(grant));
}

SendResult BackendStream::send_frame(ConnId conn, const Frame& frame) {
  v1::GatewayMessage message = make_frame(frame);
  if (queued_bytes() + message.ByteSizeLong() > config_.max_queued_bytes) {
    return SendResult::kOverflow;
  }
  if (ready_ && pending_.empty() && ledger_.try_spend()) {
    write_now(message);
    owner_->counters().frames_to_backend.add();
  } else {
    enqueue(conn, true, message);
  }
  if (!pending_.empty() || socket_bytes() > config_.max_queued_bytes / 2) {
    paused_.insert(conn);
    return SendResult::kPause;
  }
  return SendResult::kAccepted;
}

void BackendStream::send_control(ConnId conn, const v1::GatewayMessage& message) {
  if (!accepting()) return;  // down: the backend session these belong to is gone
  if (ready_ && pending_.empty()) {
    write_now(message);
  } else {
    enqueue(conn, false, message);
  }
}

void BackendStream::send_auth_key_created(uint64_t auth_key_id, int64_t server_salt) {
  if (!ready_ || !wants_auth_keys_) return;
  v1::GatewayMessage message = make_auth_key_created(auth_key_id, server_salt);
  if (pending_.empty()) {
    write_now(message);
  } else {
    enqueue(0, false, message);  // behind queued frames: they may be older clients' frames
  }
}

void BackendStream::send_undelivered(const v1::ServerFrame& frame) {
  if (!ready_) return;
  v1::GatewayMessage message;
  v1::Undelivered* out = message.mutable_undelivered();
  out->set_ref(frame.ref());
  if (frame.target_case() == v1::ServerFrame::kConnId) {
    out->set_conn_id(frame.conn_id());
  } else {
    *out->mutable_session() = frame.session();
  }
  write_now(message);
}

void BackendStream::enqueue(ConnId conn, bool frame, const v1::GatewayMessage& message) {
  Pending item{conn, frame, uv_now(owner_->loop()), {}};
  append_delimited(message, item.bytes);
  pending_bytes_ += item.bytes.size();
  pending_.push_back(std::move(item));
  arm_deadline();
}

void BackendStream::write_now(const v1::GatewayMessage& message) {
  const size_t before = out_.pending().size();
  append_delimited(message, out_.pending());
  note_queued(out_.pending().size() - before);
  schedule_flush();
}

void BackendStream::note_queued(size_t bytes) {
  appended_total_ += bytes;
  const uint64_t now = uv_now(owner_->loop());
  if (!unwritten_.empty() && unwritten_.back().second == now) {
    unwritten_.back().first = appended_total_;
  } else {
    unwritten_.emplace_back(appended_total_, now);
  }
  arm_write_deadline();
}

void BackendStream::arm_write_deadline() {
  // Everything up to appended_total_ - queued() has reached the kernel.
  const uint64_t written = appended_total_ - socket_bytes();
  while (!unwritten_.empty() && unwritten_.front().first <= written) unwritten_.pop_front();
  if (unwritten_.empty()) {
    uv_timer_stop(&write_deadline_);
    return;
  }
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&write_deadline_))) return;
  const uint64_t now = uv_now(owner_->loop());
  const uint64_t due = unwritten_.front().second + config_.write_deadline_ms;
  uv_timer_start(&write_deadline_, write_deadline_cb, due > now ? due - now : 0, 0);
}

void BackendStream::on_write_deadline() {
  const uint64_t written = appended_total_ - socket_bytes();
  while (!unwritten_.empty() && unwritten_.front().first <= written) unwritten_.pop_front();
  if (!unwritten_.empty() &&
      unwritten_.front().second + config_.write_deadline_ms <= uv_now(owner_->loop())) {
    owner_->counters().write_stalls.add();
    fail(fmt::format("backend stopped reading: {} bytes unwritten for write_deadline_ms ({})",
                     socket_bytes(), config_.write_deadline_ms),
         false);
    return;
  }
  arm_write_deadline();
}

void BackendStream::schedule_flush() {
  if (!dirty && connected_ && !out_.pending().empty()) owner_->mark_dirty(this);
}

void BackendStream::drain() {
  if (!ready_) return;
  while (!pending_.empty()) {
    Pending& front = pending_.front();
    if (front.frame) {
      if (!ledger_.try_spend()) break;
      owner_->counters().frames_to_backend.add();
    }
    out_.append(front.bytes);
    note_queued(front.bytes.size());
    pending_bytes_ -= front.bytes.size();
    pending_.pop_front();
  }
  if (pending_.empty()) {
    uv_timer_stop(&deadline_);
  } else {
    arm_deadline();
  }
  schedule_flush();
  maybe_resume();
}

void BackendStream::maybe_resume() {
  if (paused_.empty() || !pending_.empty() || socket_bytes() > config_.max_queued_bytes / 4) {
    return;
  }
  std::unordered_set<ConnId> resumed;
  resumed.swap(paused_);
  for (ConnId conn : resumed) owner_->sink().resume_reading(conn);
}

void BackendStream::forget(ConnId conn) {
  paused_.erase(conn);
  release_credit(conn);
}

void BackendStream::release_credit(ConnId conn) {
  ledger_.release(conn);
  maybe_grant();
}

size_t BackendStream::drop_frames(ConnId conn) {
  size_t dropped = 0;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->conn == conn && it->frame) {
      pending_bytes_ -= it->bytes.size();
      it = pending_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  drain();
  return dropped;
}

void BackendStream::arm_deadline() {
  if (pending_.empty() || uv_is_active(reinterpret_cast<uv_handle_t*>(&deadline_))) return;
  uint64_t now = uv_now(owner_->loop());
  uint64_t due = pending_.front().enqueued_ms + config_.message_deadline_ms;
  uv_timer_start(&deadline_, deadline_cb, due > now ? due - now : 0, 0);
}

void BackendStream::on_deadline() {
  // While connecting, connect_timeout_ms governs (on_hello re-arms through drain()); only a
  // ready stream blocks on credit.
  if (!ready_) return;
  uint64_t now = uv_now(owner_->loop());
  while (!pending_.empty() && pending_.front().enqueued_ms + config_.message_deadline_ms <= now) {
    // drain() ran after every change, so a ready stream's queue starts with a frame.
    ConnId conn = pending_.front().conn;
    owner_->counters().deadline_expired.add(drop_frames(conn));
    owner_->fail_client(conn, "backend deadline: no credit within message_deadline_ms");
    if (link_ == nullptr) return;
  }
  arm_deadline();
}

void BackendStream::flush() {
  if (!connected_) return;
  out_.flush(link_->stream());
  if (!unwritten_.empty() && link_ != nullptr) arm_write_deadline();
  maybe_resume();
}

void BackendStream::fail(std::string_view reason, bool protocol_error) {
  if (link_ == nullptr) return;
  SocketCounters& counters = owner_->counters();
  counters.stream_failures.add();
  if (protocol_error) counters.protocol_errors.add();
  spdlog::warn("socket: worker {} endpoint {}: {}; failing its clients, reconnecting in {} ms",
               owner_->worker(), endpoint_.name, reason, backoff_ms_);
  link_->abandon();
  link_ = nullptr;
  connected_ = false;
  ready_ = false;
  down_ = true;
  out_.reset();
  unwritten_.clear();
  appended_total_ = 0;
  pending_.clear();
  pending_bytes_ = 0;
  paused_.clear();
  ledger_.reset();
  uv_timer_stop(&deadline_);
  uv_timer_stop(&write_deadline_);
  // Backoff: random in [backoff/2, backoff], doubling up to reconnect_max_ms.
  uint32_t delay = backoff_ms_ / 2 + static_cast<uint32_t>(jitter_() % (backoff_ms_ / 2 + 1));
  backoff_ms_ = std::min(config_.reconnect_max_ms, backoff_ms_ * 2);
  uv_timer_start(&timer_, timer_cb, delay, 0);
  owner_->on_stream_down(*this);
}

void BackendStream::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  owner_ = nullptr;
  out_.reset();  // a write in flight finishes (or is cancelled) without calling back
  if (link_ != nullptr) {
    link_->abandon();
    link_ = nullptr;
  }
  auto closed = [](uv_handle_t* h) { static_cast<BackendStream*>(h->data)->on_timer_closed(); };
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&write_deadline_), closed);
}

void BackendStream::on_timer_closed() {
  if (--open_timers_ == 0) delete this;
}

void BackendStream::connect_cb(uv_connect_t* req, int status) {
  auto* link = static_cast<Link*>(req->data);
  if (link->owner != nullptr) link->owner->on_connected(status);
}

void BackendStream::alloc_cb(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* link = static_cast<Link*>(handle->data);
  SocketAdapter* adapter = link->owner != nullptr ? link->owner->owner_ : nullptr;
  if (adapter == nullptr) {
    *buf = uv_buf_init(nullptr, 0);  // libuv reports UV_ENOBUFS; the link is closing anyway
    return;
  }
  *buf = uv_buf_init(adapter->read_buffer(), static_cast<unsigned>(adapter->read_buffer_size()));
}

void BackendStream::read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* link = static_cast<Link*>(stream->data);
  if (link->owner != nullptr) link->owner->on_read(nread, buf);
}

void BackendStream::timer_cb(uv_timer_t* timer) {
  auto* self = static_cast<BackendStream*>(timer->data);
  if (self->link_ != nullptr) {
    self->fail(
        fmt::format("no hello within connect_timeout_ms ({})", self->config_.connect_timeout_ms),
        false);
  } else {
    self->connect();
  }
}

void BackendStream::deadline_cb(uv_timer_t* timer) {
  static_cast<BackendStream*>(timer->data)->on_deadline();
}

void BackendStream::write_deadline_cb(uv_timer_t* timer) {
  static_cast<BackendStream*>(timer->data)->on_write_deadline();
}

}  // namespace mtedge::backend::socket
