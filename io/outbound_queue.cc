#include "io/outbound_queue.h"

#include <cassert>

namespace mtedge::io {

// The write request and the bytes it carries. Owned by the queue; when the queue lets go of
// it with a write in flight (queue == nullptr), the write callback frees it.
struct OutboundQueue::Flight {
  uv_write_t req;
  Bytes data;
  size_t offset = 0;  // data[0, offset) was written at once by uv_try_write
  OutboundQueue* queue = nullptr;
};

const OutboundMarks OutboundQueue::kNoMarks{};

namespace {

// A drained buffer: keeps its memory when keep_drained_buffer() says so.
void clear_drained(Bytes& buffer) {
  if (keep_drained_buffer(buffer.capacity())) {
    buffer.clear();
  } else {
    Bytes().swap(buffer);
  }
}

uv_buf_t buf_of(Bytes& bytes, size_t offset) {
  return uv_buf_init(reinterpret_cast<char*>(bytes.data() + offset),
                     static_cast<unsigned>(bytes.size() - offset));
}

}  // namespace

OutboundQueue::OutboundQueue(const OutboundEvents& events, const OutboundMarks& marks)
    : events_(&events), marks_(&marks) {
  assert(events.written != nullptr && events.failed != nullptr);
}

OutboundQueue::~OutboundQueue() {
  reset();
  delete flight_;
}

size_t OutboundQueue::queued() const {
  return pending_.size() + (writing_ ? flight_->data.size() - flight_->offset : 0);
}

bool OutboundQueue::note_appended() {
  if (queued() > marks_->high) above_high_ = true;
  return !above_high_;
}

size_t OutboundQueue::flush(uv_stream_t* stream) {
  if (writing_ || pending_.empty()) return 0;
  uv_buf_t buf = buf_of(pending_, 0);
  const int tried = uv_try_write(stream, &buf, 1);
  if (tried < 0 && tried != UV_EAGAIN) {
    fail(stream, tried);
    return 0;
  }
  const size_t taken = tried > 0 ? static_cast<size_t>(tried) : 0;
  if (taken == pending_.size()) {
    clear_drained(pending_);
    check_low(stream);
    return taken;
  }
  if (flight_ == nullptr) {
    flight_ = new Flight;
    flight_->req.data = flight_;
    flight_->queue = this;
  }
  // The rest goes as one write; pending_ takes over the request's drained buffer.
  flight_->data.swap(pending_);
  flight_->offset = taken;
  buf = buf_of(flight_->data, taken);
  const int rc = uv_write(&flight_->req, stream, &buf, 1, on_write);
  if (rc != 0) {
    fail(stream, rc);
    return taken;
  }
  writing_ = true;
  return taken;
}

void OutboundQueue::on_write(uv_write_t* req, int status) {
  auto* flight = static_cast<Flight*>(req->data);
  OutboundQueue* self = flight->queue;
  if (self == nullptr) {  // the queue let go of it
    delete flight;
    return;
  }
  const size_t bytes = flight->data.size() - flight->offset;
  clear_drained(flight->data);
  flight->offset = 0;
  self->writing_ = false;
  if (status < 0) {
    self->fail(req->handle, status);
    return;
  }
  self->events_->written(req->handle, bytes);
  self->check_low(req->handle);
}

void OutboundQueue::fail(uv_stream_t* stream, int status) {
  pending_.clear();
  if (flight_ != nullptr && !writing_) {
    flight_->data.clear();
    flight_->offset = 0;
  }
  above_high_ = false;
  events_->failed(stream, status);
}

void OutboundQueue::check_low(uv_stream_t* stream) {
  if (!above_high_ || queued() > marks_->low) return;
  above_high_ = false;
  if (events_->low != nullptr) events_->low(stream);
}

void OutboundQueue::release_buffers() {
  if (pending_.empty()) Bytes().swap(pending_);
  if (writing_) return;
  delete flight_;
  flight_ = nullptr;
}

void OutboundQueue::reset() {
  Bytes().swap(pending_);
  above_high_ = false;
  if (writing_) {
    flight_->queue = nullptr;  // the write callback frees it
    flight_ = nullptr;
    writing_ = false;
  }
}

}  // namespace mtedge::io
