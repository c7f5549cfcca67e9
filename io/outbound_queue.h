// OutboundQueue: the bytes one libuv stream still has to write, and the one write in flight.
// On the loop's thread only; no protocol knowledge.
//
// Write path. The owner appends to pending() (codecs encode straight into it) and calls
// flush(stream), normally once per loop iteration from a FlushList. flush() hands everything
// pending to the kernel with uv_try_write first: most writes complete at once, with no write
// request and no extra epoll_ctl (a uv_write of everything costs one more epoll_ctl per write
// in libuv 1.44). Only what the kernel did not take goes into one uv_write, on the queue's own
// write request (allocated the first time a write does not complete at once and reused until
// release_buffers()): no allocation per write. At most one write is in flight; while it is,
// flush() does nothing and what is appended meanwhile waits in pending() until the write
// completes and the owner's `written` event flushes it, as one write.
//
// Buffers. A buffer that drains keeps its memory for the next writes when
// keep_drained_buffer() says so (mid-size buffers, so frames do not fault in fresh pages);
// release_buffers() frees everything when the owner goes quiet. An idle, released queue owns
// no heap memory.
//
// Marks (OutboundMarks), on queued() = bytes pending + bytes in flight:
// - limit: fits(n) says whether n more bytes keep queued() within it; the owner checks before
//   (or after) appending and refuses or closes (the queue itself never drops bytes).
// - high: note_appended(), called after appending, returns false from the moment queued()
//   exceeds high: the owner stops reading whatever feeds the queue.
// - low: once note_appended() has returned false, the `low` event fires the first time a
//   write (at once in flush(), or completing later) leaves queued() at or below low; the
//   owner reads again. note_appended() returns true again from then on.
//
// Events (OutboundEvents) reach the owner through the stream the write was on; the owner
// finds itself from the stream's `data`, as with any libuv callback:
// - written(stream, bytes): a uv_write completed; nothing is in flight now. The owner
//   flushes again (it may first turn pending() into wire bytes, e.g. encrypt it). Not called
//   for bytes flush() wrote at once: flush() returns that count.
// - failed(stream, status): a write failed, at once inside flush() or later (status is the
//   libuv error, UV_ECANCELED when the stream was closed with a write in flight). Everything
//   queued is dropped; the owner closes the stream.
// - low(stream): see Marks; may be null when the owner uses no marks.
// An event may close the stream or reset() the queue, but must not destroy the queue.
//
// Lifetime: destroy the queue (or reset() it) at any time outside its events. A write still in
// flight then keeps its bytes and its request, completes (or is cancelled when the stream
// closes) on its own and frees them; no event reaches the owner. The usual discipline is the
// one for any libuv handle: the owner lives until the stream's close callback, which libuv
// runs after every write callback.
//
// Size: sizeof(OutboundQueue) is at most one pointer and two Bytes (56 bytes on x86-64 with
// libstdc++), flags included: no more than an owner holding a write-request pointer and
// pending and in-flight buffers itself, so an owner does not grow by switching to it.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

namespace mtedge::io {

// In bytes queued (pending + in flight). The defaults mean no marks.
struct OutboundMarks {
  size_t high = SIZE_MAX;
  size_t low = SIZE_MAX;
  size_t limit = SIZE_MAX;
};

struct OutboundEvents {
  void (*written)(uv_stream_t* stream, size_t bytes) = nullptr;  // required
  void (*failed)(uv_stream_t* stream, int status) = nullptr;     // required
  void (*low)(uv_stream_t* stream) = nullptr;                    // optional
};

class OutboundQueue {
 public:
  // `events` and `marks` are referred to, not copied: they must outlive the queue (usually a
  // static table and the owner's configuration).
  explicit OutboundQueue(const OutboundEvents& events, const OutboundMarks& marks = kNoMarks);
  // Marks are kept by reference: a temporary would dangle.
  OutboundQueue(const OutboundEvents& events, OutboundMarks&& marks) = delete;
  ~OutboundQueue();
  OutboundQueue(const OutboundQueue&) = delete;
  OutboundQueue& operator=(const OutboundQueue&) = delete;

  static const OutboundMarks kNoMarks;

  // Where the owner appends bytes to write. While a write is in flight it holds only what
  // came after that write.
  Bytes& pending() { return pending_; }
  const Bytes& pending() const { return pending_; }
  void append(ByteView bytes) { mtedge::append(pending_, bytes); }

  // Bytes not yet written: pending plus the rest of the write in flight.
  size_t queued() const;
  bool empty() const { return queued() == 0; }
  bool writing() const { return writing_; }

  // Whether `more` bytes can be appended within marks.limit.
  bool fits(size_t more = 0) const { return queued() + more <= marks_->limit; }
  // After appending: false while the queue is above its high mark (see Marks above).
  bool note_appended();

  // Writes what is pending to `stream` unless a write is in flight (see the write path).
  // Returns the bytes the kernel took at once. May fire `low` or `failed` before it returns.
  size_t flush(uv_stream_t* stream);

  // Frees the kept buffers and the write request, unless a write is in flight (then only a
  // drained pending buffer goes). Pending bytes stay.
  void release_buffers();
  // Drops everything pending and lets a write in flight finish on its own (see Lifetime);
  // the queue is then as new, ready for another stream.
  void reset();

 private:
  struct Flight;
  static void on_write(uv_write_t* req, int status);
  void fail(uv_stream_t* stream, int status);
  void check_low(uv_stream_t* stream);

  Bytes pending_;
  Flight* flight_ = nullptr;  // the write request and the bytes it carries
  const OutboundEvents* events_;
  const OutboundMarks* marks_;
  bool writing_ = false;     // flight_ is handed to uv_write
  bool above_high_ = false;  // note_appended() returned false; `low` is owed
};

static_assert(sizeof(OutboundQueue) <= sizeof(void*) + 2 * sizeof(Bytes),
              "no larger than a write request pointer and two buffers");

}  // namespace mtedge::io
