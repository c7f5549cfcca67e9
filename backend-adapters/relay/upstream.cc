#include "backend-adapters/relay/upstream.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cassert>

#include "backend-adapters/relay/adapter.h"
#include "base/log_rate_limit.h"

namespace mtedge::backend::relay {

const io::OutboundEvents UpstreamConn::kOutboundEvents{
    [](uv_stream_t* stream, size_t) { static_cast<UpstreamConn*>(stream->data)->flush(); },
    [](uv_stream_t* stream, int status) {
      static_cast<UpstreamConn*>(stream->data)
          ->fail(fmt::format("upstream write failed: {}", uv_strerror(status)), true);
    },
    [](uv_stream_t* stream) {
      auto* conn = static_cast<UpstreamConn*>(stream->data);
      if (!conn->closing_) conn->owner_.sink().resume_reading(conn->id_);
    }};

struct UpstreamConn::Connecting {
  uv_connect_t req;
  uv_timer_t timer;
  UpstreamConn* conn = nullptr;  // null once released
  int pending = 2;               // the connect callback and the timer's close callback
  void done() {
    if (--pending == 0) delete this;
  }
};

UpstreamConn::UpstreamConn(RelayAdapter& owner, ConnId id, const UpstreamAddress& upstream,
                           std::unique_ptr<codecs::TransportStack> stack)
    : owner_(owner),
      id_(id),
      upstream_(upstream),
      stack_(std::move(stack)),
      out_(kOutboundEvents, owner.outbound_marks()) {
  int rc = uv_tcp_init(owner_.loop(), &tcp_);
  assert(rc == 0);
  (void)rc;
  tcp_.data = this;
  open_handles_ = 1;
  // The transport tag goes first, ahead of any packet queued while connecting.
  stack_->write_tag(out_.pending());
}

void UpstreamConn::start() {
  uv_tcp_nodelay(&tcp_, 1);
  connecting_ = new Connecting;
  connecting_->conn = this;
  connecting_->req.data = connecting_;
  uv_timer_init(owner_.loop(), &connecting_->timer);
  connecting_->timer.data = connecting_;
  int rc = uv_tcp_connect(&connecting_->req, &tcp_,
                          reinterpret_cast<const sockaddr*>(&upstream_.addr), connect_cb);
  if (rc != 0) {
    connecting_->pending--;  // no connect callback will come
    fail(fmt::format("upstream connect failed: {}", uv_strerror(rc)), true);
    return;
  }
  uv_timer_start(&connecting_->timer, timeout_cb, owner_.config().connect_timeout_ms, 0);
}

void UpstreamConn::release_connecting() {
  if (connecting_ == nullptr) return;
  connecting_->conn = nullptr;
  uv_timer_stop(&connecting_->timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&connecting_->timer),
           [](uv_handle_t* h) { static_cast<Connecting*>(h->data)->done(); });
  connecting_ = nullptr;
}

bool UpstreamConn::send(ByteView packet, bool quick_ack_request) {
  if (closing_) return true;
  // Every upstream framer carries whole 32-bit words (abridged counts them); an MTProto
  // packet always is. Anything else (e.g. an odd HTTP body) cannot be re-framed.
  if (packet.empty() || packet.size() % 4 != 0) {
    fail(fmt::format("client packet of {} bytes is not whole 32-bit words", packet.size()), false);
    return true;
  }
  stack_->write_packet(packet, quick_ack_request, out_.pending());
  if (connected_ && !dirty) owner_.mark_dirty(this);
  // The gateway may still deliver what it already read after a `false`; beyond the limit
  // (twice the cap plus a frame) the client is not honouring backpressure and is closed.
  if (!out_.fits()) {
    fail(fmt::format("upstream buffer limit [queued = {}, cap = {}]", out_.queued(),
                     owner_.config().max_upstream_buffer_bytes),
         true);
    return false;
  }
  return out_.note_appended();
}

void UpstreamConn::flush() {
  if (closing_ || !connected_) return;
  out_.flush(reinterpret_cast<uv_stream_t*>(&tcp_));
}

void UpstreamConn::on_client_drained() {
  if (!client_slow_) return;
  client_slow_ = false;
  if (connected_ && !closing_ && !reading_) {
    reading_ = true;
    uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), alloc_cb, read_cb);
  }
}

void UpstreamConn::release_buffers() {
  out_.release_buffers();
  stack_->shrink();
}

void UpstreamConn::close() {
  if (closing_) return;
  closing_ = true;
  out_.reset();
  release_connecting();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), close_cb);
}

void UpstreamConn::fail(std::string_view reason, bool warn) {
  if (closing_) return;
  // Warn lines follow clients (one per client whose upstream fails): rate-limited.
  static LogRateLimit warn_limit(kWarnIntervalMs);
  uint64_t suppressed = 0;
  if (!warn) {
    spdlog::info("relay: conn {:#x} upstream {}: {}", id_, upstream_.text, reason);
  } else if (warn_limit.allow(suppressed)) {
    spdlog::warn("relay: conn {:#x} upstream {}: {} ({} more such lines suppressed)", id_,
                 upstream_.text, reason, suppressed);
  }
  // Retire first: if the gateway reports the close synchronously, this connection is
  // already gone from the live set.
  owner_.retire(id_);
  owner_.sink().close(id_, reason);
}

void UpstreamConn::on_connected(int status) {
  release_connecting();
  if (status < 0) {
    fail(fmt::format("upstream connect failed: {}", uv_strerror(status)), true);
    return;
  }
  connected_ = true;
  uv_tcp_nodelay(&tcp_, 1);
  if (!client_slow_) {
    reading_ = true;
    uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), alloc_cb, read_cb);
  }
  spdlog::debug("relay: conn {:#x} upstream {} connected", id_, upstream_.text);
  flush();
}

void UpstreamConn::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (closing_ || nread == 0) return;
  if (nread < 0) {
    if (nread == UV_EOF) {
      fail("upstream closed", false);
    } else {
      fail(fmt::format("upstream read error: {}", uv_strerror(static_cast<int>(nread))), true);
    }
    return;
  }
  MutableByteView bytes(reinterpret_cast<uint8_t*>(buf->base), static_cast<size_t>(nread));
  codecs::CodecError error = stack_->feed(bytes, *this);
  if (closing_) return;
  if (error != codecs::CodecError::kNone) {
    fail(fmt::format("upstream protocol error: {}", codecs::error_name(error)), true);
    return;
  }
  if (client_slow_ && reading_) {
    reading_ = false;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
  }
}

bool UpstreamConn::on_packet(MutableByteView payload, bool /*quick_ack_requested*/) {
  if (!owner_.sink().send_packet(id_, payload)) client_slow_ = true;
  return !closing_;
}

bool UpstreamConn::on_quick_ack(uint32_t token) {
  owner_.sink().send_quick_ack(id_, token);
  return !closing_;
}

bool UpstreamConn::on_transport_error(int32_t code) {
  spdlog::info("relay: conn {:#x} upstream {}: upstream transport error {}", id_, upstream_.text,
               code);
  // The gateway writes the error in the client's transport and then closes the client.
  owner_.retire(id_);
  owner_.sink().send_transport_error(id_, code);
  return false;
}

void UpstreamConn::on_handle_closed() {
  if (--open_handles_ > 0) return;
  owner_.on_conn_freed(this);
  delete this;
}

void UpstreamConn::connect_cb(uv_connect_t* req, int status) {
  auto* connecting = static_cast<Connecting*>(req->data);
  // Released by close() (the connect was cancelled): the connection is closing.
  if (UpstreamConn* conn = connecting->conn) conn->on_connected(status);
  connecting->done();
}

void UpstreamConn::timeout_cb(uv_timer_t* timer) {
  UpstreamConn* conn = static_cast<Connecting*>(timer->data)->conn;
  if (conn == nullptr) return;
  conn->fail(fmt::format("upstream connect timeout [timeout_ms = {}]",
                         conn->owner_.config().connect_timeout_ms),
             true);
}

void UpstreamConn::alloc_cb(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* conn = static_cast<UpstreamConn*>(handle->data);
  *buf = uv_buf_init(conn->owner_.read_buffer(),
                     static_cast<unsigned>(conn->owner_.read_buffer_size()));
}

void UpstreamConn::read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  static_cast<UpstreamConn*>(stream->data)->on_read(nread, buf);
}

void UpstreamConn::close_cb(uv_handle_t* handle) {
  static_cast<UpstreamConn*>(handle->data)->on_handle_closed();
}

}  // namespace mtedge::backend::relay
