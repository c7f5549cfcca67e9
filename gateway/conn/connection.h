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
// Admission deadlines (docs/operations.md "Admission"), on the same timer, whatever the
// driver: the first complete packet within first_packet_timeout_ms of the accept, then one at
// least every frame_timeout_ms (bytes that never complete a packet do not count), and being
// authenticated within auth_timeout_ms of the accept. A connection spliced to the fronting
// server has none of them. The timer runs at the earlier of the driver's time and the next
// deadline; the driver hears on_timer only at its own time.
//
// Memory: an idle connection owns no read buffer, the codec keeps only the tail of an
// incomplete frame, the write buffers are freed whenever the queue drains (or when it parks).
// sizeof(Connection) is printed by the unit tests and documented in docs/architecture.md.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "backend-adapters/api/frame.h"
#include "base/bytes.h"
#include "gateway/conn/accept_driver.h"
#include "gateway/conn/conn_port.h"
#include "gateway/conn/connection_record.h"
#include "gateway/conn/http_holders.h"
#include "gateway/conn/sniff_driver.h"
#include "gateway/conn/stream_driver.h"
#include "gateway/conn/tls_session.h"
#include "gateway/runtime/address.h"
#include "io/outbound_queue.h"
#include "io/timer_heap.h"

namespace mtedge::gateway {

class Worker;
namespace events {
struct ConnectionFacts;
}

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

  // After uv_accept into tcp(): reads the peer's address (false when it cannot).
  bool read_peer();
  // After read_peer(): assigns the id, starts the first-byte timer and reading.
  void start(backend::ConnId id);
  uv_tcp_t* tcp() { return &tcp_; }
  uint16_t listener_index() const { return listener_index_; }
  backend::ConnId id() const override { return id_; }
  // The client's address as ConnInfo::client_ip has it.
  std::string client_ip() const { return peer_.host(); }
  // What the per-source limits count the client by (gateway/runtime/address.h).
  SourceBucket source() const { return source_bucket(peer_.family, peer_.bytes.data()); }
  // The TCP peer's address bytes and family (for address ranges), e.g. a balancer's.
  const PeerAddress& peer_address() const { return peer_; }
  // Whether the per-source count holds this connection (the worker gives it back on close).
  bool source_counted() const { return source_counted_; }
  // The client address came from a PROXY header: its source is counted even when it claims
  // to be loopback (only the balancer's own connections are exempt).
  bool proxied() const { return proxied_; }
  void set_source_counted(bool counted) { source_counted_ = counted; }
  // Admission: see the header comment. Without edge decryption a connection authenticates
  // when the backend sends it a packet after its first encrypted one.
  bool authenticated() const { return authenticated_; }
  void mark_authenticated() { authenticated_ = true; }
  bool closing() const override { return phase_ >= Phase::kClosing; }
  // Bytes this connection buffers for its client (outbound queue, codec tails, HTTP), as last
  // reported to the worker's memory account.
  size_t accounted_bytes() const { return accounted_bytes_; }
  // The adapter's packets are framed for the client (shutdown lets those flush).
  bool streaming() const { return phase_ == Phase::kOpen && driver().streaming(); }

  // What the management API shows of this connection (`worker` left for the caller).
  ConnectionRecord describe() const;

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
  codecs::obfuscated::ReplayCache& replay_cache(codecs::TransportKind transport) override;
  codecs::obfuscated::ReplayCache& no_secret_replay_cache() override;
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
  void note_packet(bool encrypted) override;
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
  // Where this connection holds under `auth_key_id`: with edge decryption off, only among
  // connections from the same source (gateway/conn/http_holders.h).
  HoldKey hold_key(uint64_t auth_key_id) const;

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
  // Arms the timer for the earlier of the driver's time and the next admission deadline.
  void arm_earliest();
  // When the next admission deadline passes (UINT64_MAX: none), and the one already passed.
  uint64_t admission_due_ms() const;
  std::optional<GatewayError> missed_deadline() const;
  // Reports the change in accounted_bytes() to the worker.
  void account_memory();
  static void on_handle_closed(uv_handle_t* handle);
  // proxy_protocol listeners: takes the PROXY header from the start of `data` (holding a
  // partial one in proxy_header_), switches the peer to the client it names and has the
  // worker count that source. Returns the stream bytes after the header (empty while it is
  // incomplete, or when the connection was closed: a bad header, a refused source).
  MutableByteView take_proxy_header(MutableByteView data);
  // The `access:` line of a connection that is closing (log.access), from the facts its
  // connection_closed event is built from.
  void log_access(const events::ConnectionFacts& facts, uint64_t duration_ms,
                  backend::CloseReason reason) const;
  // What the access line and the events stream say of this connection: its transport path
  // ("" before the adapter heard of it) and its secret's label ("" for none).
  std::string transport_text() const;
  const std::string& secret_label() const;
  // The connection as its events describe it (events.sink; docs/events.md).
  events::ConnectionFacts event_facts() const;

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
  uint64_t accepted_ms_ = 0;
  uint64_t last_packet_ms_ = 0;  // 0: no complete packet yet
  uint64_t driver_due_ms_ = 0;   // when the driver's timer is due
  size_t accounted_bytes_ = 0;
  PeerAddress peer_;
  Phase phase_ = Phase::kFirstByte;
  backend::CloseReason close_reason_ = backend::CloseReason::kPeerClosed;
  uint8_t open_handles_ = 0;
  // One byte of flags (bit-fields keep the connection small).
  bool opened_ : 1 = false;  // the adapter heard on_open
  bool reading_ : 1 = false;
  bool linger_ : 1 = false;          // kClosing by front_or_close: wait for the timer
  bool fronting_ : 1 = false;        // the driver splices to the fronting server: deliver() drops
  bool encrypted_seen_ : 1 = false;  // a packet with a non-zero auth_key_id reached the adapter
  bool authenticated_ : 1 = false;
  bool source_counted_ : 1 = false;  // the per-source count holds this connection
  bool proxied_ : 1 = false;         // peer_ is the client a PROXY header named
  // For the access line (log.access): what the client spoke, once the adapter heard of it,
  // and its secret (an index into the listener's secrets; -1: none).
  std::optional<std::pair<codecs::TransportKind, codecs::TransportKind>> transport_;
  int32_t secret_ = -1;
  // proxy_protocol listeners: non-null until the PROXY header is taken (its bytes so far).
  std::unique_ptr<Bytes> proxy_header_;
  uint64_t bytes_in_ = 0;  // from and to the client, as on the wire (TLS records included)
  uint64_t bytes_out_ = 0;
  // The current driver: inline for the hot modes, on the heap for HTTP and fronting.
  std::variant<SniffDriver, AcceptDriver, StreamDriver, std::unique_ptr<ConnDriver>> driver_;
};

}  // namespace mtedge::gateway
