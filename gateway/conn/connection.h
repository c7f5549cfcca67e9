// One client connection, owned by its worker and touched only on that worker's loop: the io
// half. It owns the socket, reads into the worker's shared read buffer, keeps the outbound
// bytes and the one write in flight, the connection's one timer, and closing; everything a
// mode does with the bytes is its current driver's (gateway/conn/conn_port.h), which sees
// this object only as its ConnPort.
//
// Drivers: SniffDriver first; then AcceptDriver, StreamDriver, HttpDriver or FrontingDriver
// as the bytes decide (a mode change replaces the driver). The hot ones (sniffing,
// accepting, streaming) live inline in a variant; HTTP and fronting are rare and live on the
// heap.
//
// TLS termination (`tls = true` listeners) is a layer under the drivers, not a driver: every
// mode runs over it, the read path decrypts before the driver sees a byte and the write path
// encrypts whatever any driver queued, so it belongs with the socket.
//
// Phases: kFirstByte (the timer is the first-byte timeout) -> kOpen (the driver's timer; the
// first read arms the detection timeout, which also bounds a TLS handshake) -> kClosing
// (reading stopped; what is queued is flushed, bounded by kCloseFlushMs, or a rejected
// connection lingers for a short random delay) -> kClosed (the handle is closing; the
// object deletes itself when it is closed).
//
// Memory: an idle connection owns no read buffer, the codec keeps only the tail of an
// incomplete frame, the write buffers are freed whenever the queue drains (or when it parks).
// sizeof(Connection) is printed by the unit tests and documented in docs/architecture.md.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "backend-adapters/api/frame.h"
#include "base/bytes.h"
#include "gateway/conn/accept_driver.h"
#include "gateway/conn/conn_port.h"
#include "gateway/conn/sniff_driver.h"
#include "gateway/conn/stream_driver.h"
#include "gateway/conn/tls_session.h"
#include "io/outbound_queue.h"
#include "io/timer_heap.h"

namespace mtedge::gateway {

class Worker;

// How long a closing connection may take to flush what is queued before it is cut.
inline constexpr uint64_t kCloseFlushMs = 5000;
// A connection that matches no allowed transport is closed after a random delay in
// [kRejectDelayMinMs, kRejectDelayMaxMs): probes get no instant signal (docs/codecs/detector.md
// "Allowed transports").
inline constexpr uint64_t kRejectDelayMinMs = 200;
inline constexpr uint64_t kRejectDelayMaxMs = 1000;

class Connection final : public ConnPort, private io::TimerHeap::Node {
 public:
  // `listener_index` indexes the worker's config listeners.
  Connection(Worker& worker, uint16_t listener_index);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // After uv_accept into tcp(): assigns the id, starts the first-byte timer and reading.
  void start(backend::ConnId id);
  uv_tcp_t* tcp() { return &tcp_; }
  backend::ConnId id() const override { return id_; }
  // The client's address as ConnInfo::client_ip has it.
  std::string client_ip() const { return peer_.host(); }
  // The adapter's packets are framed for the client (shutdown lets those flush).
  bool streaming() const { return phase_ == Phase::kOpen && driver().streaming(); }

  // GatewaySink operations (the worker looks the connection up by id).
  bool send_packet(ByteView packet);
  // A packet routed here by auth key (Worker::take_routed_http): answers a waiting request
  // or is queued for the next one. False when this connection no longer serves HTTP.
  bool take_routed_http(ByteView packet);
  void send_quick_ack(uint32_t token);
  void send_transport_error(int32_t code);
  void resume_reading();
  void begin_close(backend::CloseReason reason) override;
  void close_now(backend::CloseReason reason) override;
  // Called by the worker's check handle: starts a write of everything queued.
  void flush();
  bool dirty = false;  // queued in the worker's flush list

 private:
  enum class Phase : uint8_t { kFirstByte, kOpen, kClosing, kClosed };

  // ConnPort
  const PeerAddress& peer() const override { return peer_; }
  const ListenerConfig& listener() const override;
  const ConnSettings& settings() const override;
  MetricsShard& metrics() override;
  backend::BackendAdapter& adapter() override;
  uint64_t random() override;
  codecs::obfuscated::ReplayCache& replay_cache() override;
  uint64_t now_ms() const override;
  uint64_t last_activity_ms() const override { return last_activity_ms_; }
  void touch() override { last_activity_ms_ = now_ms(); }
  void arm_timer(uint64_t ms) override;
  Bytes& out() override { return out_.pending(); }
  size_t queued() const override { return out_.queued(); }
  bool room_for(size_t bytes) override;
  void mark_dirty() override;
  bool after_enqueue() override;
  void release_write_buffers() override { out_.release_buffers(); }
  void stop_reading() override;
  void start_reading() override;
  bool closing() const override { return phase_ >= Phase::kClosing; }
  void open_adapter(backend::ConnInfo info) override;
  void count_codec_error(codecs::CodecError error) override;
  void open_stream(
      backend::ConnInfo info, codecs::websocket::WsStreamStage* ws,
      const std::function<void(std::optional<codecs::TransportStack>&)>& build) override;
  void accept(std::unique_ptr<SecureAccept> accept, codecs::websocket::WsStreamStage* ws) override;
  void serve_http() override;
  void front_or_close(ByteView raw) override;
  void deliver(MutableByteView bytes) override;
  void hold_http(uint64_t old_key, uint64_t key) override;
  std::optional<backend::ConnId> route_http(uint64_t key, ByteView packet) override;

  // The owning worker (the loop's data): looked up, not kept, to keep every connection
  // smaller; likewise the listener, by index.
  Worker& worker() const;
  ConnDriver& driver();
  const ConnDriver& driver() const;

  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  void handle_read(MutableByteView data);
  // tls = true listeners: decrypts, then hands each decrypted chunk to the driver.
  void handle_tls_read(ByteView cipher);
  // TimerHeap::Node: the one timer of this connection (its worker's TimerHeap) is due.
  void on_due() override;
  // Traffic in either direction: restarts the idle clock and tells the driver.
  void note_traffic();
  static void on_handle_closed(uv_handle_t* handle);

  // The write path: out_ (io::OutboundQueue) holds what the drivers queued and the one write
  // in flight; its events come back here through tcp_.data.
  static const io::OutboundEvents kOutboundEvents;
  static void on_written(uv_stream_t* stream, size_t bytes);
  static void on_write_failed(uv_stream_t* stream, int status);
  static void on_low(uv_stream_t* stream);
  // Written (at once or by a completed write) with nothing in flight: flush what queued
  // meanwhile, free buffers when not parking, finish a pending close.
  void after_write();

  uint16_t listener_index_;  // first: it fits in the padding after TimerHeap::Node
  uv_tcp_t tcp_;
  std::unique_ptr<TlsSession> tls_;  // tls = true listeners only
  // Encoded bytes not yet written and the one write in flight (an idle, parked connection's
  // queue owns no heap memory).
  io::OutboundQueue out_;
  backend::ConnId id_ = 0;
  uint64_t last_activity_ms_ = 0;
  PeerAddress peer_;
  Phase phase_ = Phase::kFirstByte;
  backend::CloseReason close_reason_ = backend::CloseReason::kPeerClosed;
  uint8_t open_handles_ = 0;
  bool opened_ = false;  // the adapter heard on_open
  bool reading_ = false;
  bool linger_ = false;    // kClosing by front_or_close: wait for the timer
  bool fronting_ = false;  // the driver splices to the fronting server: deliver() drops
  // The current driver: inline for the hot modes, on the heap for HTTP and fronting.
  std::variant<SniffDriver, AcceptDriver, StreamDriver, std::unique_ptr<ConnDriver>> driver_;
};

}  // namespace mtedge::gateway
