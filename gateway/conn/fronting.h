// FrontingLink: the upstream half of a connection spliced to the fronting server (a real
// web server), so that a prober whose bytes failed validation talks to that server and
// sees nothing of mtedge (docs/codecs/fake-tls.md "Fronting (gateway)",
// docs/spec/wire-notes.md §3.5, §3.6).
//
// The owning FrontingDriver keeps the client side: bytes it reads go to send(); bytes the
// fronting server returns come back through FrontingOwner::fronting_data(). Both
// directions are bounded: send() returns false above `buffer_limit` (the connection stops
// reading the client until fronting_drained()), and a false from fronting_data() stops
// reading the server until resume().
//
// Lifetime: the link deletes itself once its handle is closed. detach() (the connection
// is going away) closes it and drops the owner pointer; after the server closes or fails,
// the link calls fronting_closed() once and then behaves as detached.
#pragma once

#include <uv.h>

#include <cstddef>

#include "base/bytes.h"
#include "gateway/runtime/address.h"
#include "io/outbound_queue.h"

namespace mtedge::gateway {

class FrontingOwner {
 public:
  virtual ~FrontingOwner() = default;
  // Bytes from the fronting server for the client. False: stop reading the server.
  virtual bool fronting_data(ByteView bytes) = 0;
  // The link's outbound queue (client -> server) drained: read the client again.
  virtual void fronting_drained() = 0;
  // The fronting server closed, failed or could not be reached.
  virtual void fronting_closed(bool connected) = 0;
};

class FrontingLink {
 public:
  // Starts connecting; `initial` (the client's bytes so far) is sent first.
  static FrontingLink* start(uv_loop_t* loop, const SocketAddress& target, FrontingOwner* owner,
                             ByteView initial, size_t buffer_limit, uint64_t connect_timeout_ms);

  // Queues client bytes for the server. False: above buffer_limit, stop reading the client.
  bool send(ByteView bytes);
  // The client's queue drained: read the server again.
  void resume();
  // The connection is going away: close without calling the owner again.
  void detach();

 private:
  FrontingLink(FrontingOwner* owner, size_t buffer_limit);
  static void on_connect(uv_connect_t* req, int status);
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static const io::OutboundEvents kOutboundEvents;
  static void on_written(uv_stream_t* stream, size_t bytes);
  static void on_write_failed(uv_stream_t* stream, int status);
  static void on_low(uv_stream_t* stream);
  static void on_timer(uv_timer_t* timer);
  static void on_closed(uv_handle_t* handle);
  void flush();
  void fail();
  void start_reading();

  uv_tcp_t tcp_;
  uv_timer_t timer_;
  uv_connect_t connect_req_;
  FrontingOwner* owner_;
  // Marks: high = buffer_limit (send() says stop reading the client), low = half of it.
  io::OutboundMarks marks_;
  io::OutboundQueue out_;  // client bytes for the server
  char read_buf_[16384];
  int open_handles_ = 2;
  bool connected_ = false;
  bool reading_ = false;
  bool closing_ = false;
};

}  // namespace mtedge::gateway
