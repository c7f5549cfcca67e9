#include "backend-adapters/relay/upstream.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cassert>

#include "backend-adapters/relay/adapter.h"

namespace mtedge::backend::relay {
namespace {

struct WriteReq {
  uv_write_t req;
  UpstreamConn* conn;
  Bytes data;
};

}  // namespace

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
    : owner_(owner), id_(id), upstream_(upstream), stack_(std::move(stack)) {
  int rc = uv_tcp_init(owner_.loop(), &tcp_);
  assert(rc == 0);
  (void)rc;
  tcp_.data = this;
  open_handles_ = 1;
  // The transport tag goes first, ahead of any packet queued while connecting.
  stack_->write_tag(out_);
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
  stack_->write_packet(packet, quick_ack_request, out_);
  if (connected_ && !dirty) owner_.mark_dirty(this);
  const RelayConfig& config = owner_.config();
  // The gateway may still deliver what it already read after a `false`; beyond this hard
  // ceiling the client is not honouring backpressure and the connection is closed.
  size_t ceiling = 2 * config.max_upstream_buffer_bytes + config.max_frame_bytes;
  if (queued() > ceiling) {
    fail(fmt::format("upstream buffer limit [queued = {}, cap = {}]", queued(),
                     config.max_upstream_buffer_bytes),
         true);
    return false;
  }
  if (queued() > config.max_upstream_buffer_bytes) {
    client_paused_ = true;
    return false;
  }
  return true;
}

void UpstreamConn::flush() {
  if (closing_ || !connected_ || out_.empty()) return;
  // Try the socket first (usually everything goes at once, with no write request and no
  // extra epoll_ctl); only what is left is queued with uv_write. libuv keeps the order:
  // uv_try_write answers EAGAIN while earlier writes are queued.
  uv_buf_t first =
      uv_buf_init(reinterpret_cast<char*>(out_.data()), static_cast<unsigned>(out_.size()));
  const int tried = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &first, 1);
  if (tried < 0 && tried != UV_EAGAIN) {
    fail(fmt::format("upstream write failed: {}", uv_strerror(tried)), true);
    return;
  }
  const size_t written = tried > 0 ? static_cast<size_t>(tried) : 0;
  if (written == out_.size()) {
    // A mid-size buffer stays for the next writes until the client goes quiet
    // (release_buffers); see keep_drained_buffer.
    if (!keep_drained_buffer(out_.capacity())) {
      Bytes().swap(out_);
    } else {
      out_.clear();
    }
    on_written(0, 0);
    return;
  }
  out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(written));
  auto* w = new WriteReq{};
  w->req.data = w;
  w->conn = this;
  w->data.swap(out_);
  in_flight_ += w->data.size();
  uv_buf_t buf =
      uv_buf_init(reinterpret_cast<char*>(w->data.data()), static_cast<unsigned>(w->data.size()));
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1,
                    [](uv_write_t* req, int status) {
                      auto* done = static_cast<WriteReq*>(req->data);
                      size_t bytes = done->data.size();
                      UpstreamConn* conn = done->conn;
                      delete done;
                      conn->on_written(bytes, status);
                    });
  if (rc != 0) {
    in_flight_ -= w->data.size();
    delete w;
    fail(fmt::format("upstream write failed: {}", uv_strerror(rc)), true);
  }
}

void UpstreamConn::on_written(size_t bytes, int status) {
  in_flight_ -= bytes;
  if (closing_) return;
  if (status < 0) {
    fail(fmt::format("upstream write failed: {}", uv_strerror(status)), true);
    return;
  }
  if (client_paused_ && queued() <= owner_.config().max_upstream_buffer_bytes / 2) {
    client_paused_ = false;
    owner_.sink().resume_reading(id_);
  }
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
  if (out_.empty()) Bytes().swap(out_);
  stack_->shrink();
}

void UpstreamConn::close() {
  if (closing_) return;
  closing_ = true;
  out_.clear();
  out_.shrink_to_fit();
  release_connecting();
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), close_cb);
}

void UpstreamConn::fail(std::string_view reason, bool warn) {
  if (closing_) return;
  if (warn) {
    spdlog::warn("relay: conn {:#x} upstream {}: {}", id_, upstream_.text, reason);
  } else {
    spdlog::info("relay: conn {:#x} upstream {}: {}", id_, upstream_.text, reason);
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
