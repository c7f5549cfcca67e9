#include "gateway/conn/fronting.h"

namespace mtedge::gateway {

FrontingLink::FrontingLink(FrontingOwner* owner, size_t buffer_limit)
    : owner_(owner), marks_{buffer_limit, buffer_limit / 2}, out_(kOutboundEvents, marks_) {}

FrontingLink* FrontingLink::start(uv_loop_t* loop, const SocketAddress& target,
                                  FrontingOwner* owner, ByteView initial, size_t buffer_limit,
                                  uint64_t connect_timeout_ms) {
  auto* link = new FrontingLink(owner, buffer_limit);
  uv_tcp_init(loop, &link->tcp_);
  uv_timer_init(loop, &link->timer_);
  link->tcp_.data = link;
  link->timer_.data = link;
  link->connect_req_.data = link;
  link->out_.append(initial);
  uv_timer_start(&link->timer_, on_timer, connect_timeout_ms, 0);
  if (uv_tcp_connect(&link->connect_req_, &link->tcp_, target.get(), on_connect) != 0) {
    // Failed at once (no fds, no route): report it from the loop, never from inside start(),
    // whose caller is still setting itself up as the owner.
    uv_timer_start(&link->timer_, on_timer, 0, 0);
  }
  return link;
}

void FrontingLink::on_connect(uv_connect_t* req, int status) {
  auto* self = static_cast<FrontingLink*>(req->data);
  if (self->closing_) return;
  if (status != 0) {
    self->fail();
    return;
  }
  uv_timer_stop(&self->timer_);
  self->connected_ = true;
  uv_tcp_nodelay(&self->tcp_, 1);
  self->start_reading();
  self->flush();
}

void FrontingLink::on_timer(uv_timer_t* timer) {
  auto* self = static_cast<FrontingLink*>(timer->data);
  if (!self->connected_) self->fail();
}

void FrontingLink::start_reading() {
  if (reading_ || closing_ || !connected_) return;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) == 0) {
    reading_ = true;
  }
}

void FrontingLink::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<FrontingLink*>(handle->data);
  *buf = uv_buf_init(self->read_buf_, sizeof self->read_buf_);
}

void FrontingLink::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<FrontingLink*>(stream->data);
  if (nread == 0 || self->closing_) return;
  if (nread < 0) {
    self->fail();
    return;
  }
  bool more = self->owner_->fronting_data(
      ByteView(reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)));
  if (!more && !self->closing_ && self->reading_) {
    uv_read_stop(stream);
    self->reading_ = false;
  }
}

bool FrontingLink::send(ByteView bytes) {
  if (closing_) return true;
  out_.append(bytes);
  flush();
  return out_.note_appended();
}

void FrontingLink::resume() {
  start_reading();
}

void FrontingLink::flush() {
  if (!connected_ || closing_) return;
  out_.flush(reinterpret_cast<uv_stream_t*>(&tcp_));
}

const io::OutboundEvents FrontingLink::kOutboundEvents = {
    &FrontingLink::on_written, &FrontingLink::on_write_failed, &FrontingLink::on_low};

void FrontingLink::on_written(uv_stream_t* stream, size_t /*bytes*/) {
  auto* self = static_cast<FrontingLink*>(stream->data);
  self->flush();  // what the client sent meanwhile
}

void FrontingLink::on_write_failed(uv_stream_t* stream, int /*status*/) {
  static_cast<FrontingLink*>(stream->data)->fail();
}

void FrontingLink::on_low(uv_stream_t* stream) {
  auto* self = static_cast<FrontingLink*>(stream->data);
  if (self->owner_) self->owner_->fronting_drained();
}

void FrontingLink::fail() {
  if (closing_) return;
  FrontingOwner* owner = owner_;
  const bool connected = connected_;
  detach();
  if (owner) owner->fronting_closed(connected);
}

void FrontingLink::detach() {
  if (closing_) return;
  closing_ = true;
  owner_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
}

void FrontingLink::on_closed(uv_handle_t* handle) {
  auto* self = static_cast<FrontingLink*>(handle->data);
  if (--self->open_handles_ == 0) delete self;
}

}  // namespace mtedge::gateway
