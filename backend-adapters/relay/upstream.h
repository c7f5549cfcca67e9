// UpstreamConn: the upstream half of one relayed client connection.
//
// Lifetime: created by RelayAdapter::on_open, owned by the adapter's live set until the
// client or the upstream goes away; then close() closes its uv handles and the object
// deletes itself once every close callback (and every write/connect callback, which libuv
// runs before them) has run. Pointers to it stay valid until then.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>

#include "backend-adapters/api/frame.h"
#include "backend-adapters/relay/config.h"
#include "codecs/core/frame_reader.h"
#include "codecs/core/transport_stack.h"
#include "io/outbound_queue.h"

namespace mtedge::backend::relay {

class RelayAdapter;

class UpstreamConn final : private codecs::FrameSink {
 public:
  UpstreamConn(RelayAdapter& owner, ConnId id, const UpstreamAddress& upstream,
               std::unique_ptr<codecs::TransportStack> stack);
  UpstreamConn(const UpstreamConn&) = delete;
  UpstreamConn& operator=(const UpstreamConn&) = delete;

  ConnId id() const { return id_; }
  bool closing() const { return closing_; }

  // Starts the connect and its timeout. A failure closes the client (see fail()).
  void start();
  // Re-frames one client packet for the upstream. Returns false when the bytes queued for
  // the upstream exceed max_upstream_buffer_bytes: the gateway then stops reading the client
  // until resume_reading (once the queue drained to half of that).
  bool send(ByteView packet, bool quick_ack_request);
  // Hands the queued bytes to the socket (called once per loop iteration, and when a write
  // completes).
  void flush();
  // The client's outbound queue drained: read the upstream again.
  void on_client_drained();
  // The client went quiet: frees the write buffer (if drained) and the reader's tail.
  void release_buffers();
  // Closes the uv handles; idempotent. Sends nothing to the gateway.
  void close();
  // Logs, retires this connection and asks the gateway to close the client.
  void fail(std::string_view reason, bool warn);

  bool dirty = false;  // on the adapter's flush list

 private:
  bool on_packet(MutableByteView payload, bool quick_ack_requested) override;
  bool on_quick_ack(uint32_t token) override;
  bool on_transport_error(int32_t code) override;

  void on_connected(int status);
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void on_handle_closed();

  // The connect request and its timeout, on the heap and freed once the connect completes:
  // an established connection does not carry them.
  struct Connecting;
  // Stops the connect timeout and lets the Connecting go (it frees itself once its connect
  // callback ran and its timer closed); idempotent.
  void release_connecting();

  static void connect_cb(uv_connect_t* req, int status);
  static void timeout_cb(uv_timer_t* timer);
  static void alloc_cb(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void read_cb(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void close_cb(uv_handle_t* handle);
  static const io::OutboundEvents kOutboundEvents;

  RelayAdapter& owner_;
  ConnId id_;
  const UpstreamAddress& upstream_;
  std::unique_ptr<codecs::TransportStack> stack_;
  uv_tcp_t tcp_;
  Connecting* connecting_ = nullptr;  // from start() until the connect completes
  // To the upstream; its marks are RelayAdapter::outbound_marks(). Its `low` event is the
  // resume_reading owed after send() returned false.
  io::OutboundQueue out_;
  int open_handles_ = 0;
  bool connected_ = false;
  bool closing_ = false;
  bool client_slow_ = false;    // send_packet returned false; upstream reading stopped
  bool reading_ = false;
};

}  // namespace mtedge::backend::relay
