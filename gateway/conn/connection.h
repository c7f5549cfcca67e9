// One client connection, owned by its worker and touched only on that worker's loop.
//
// States: kFirstByte -> kDetecting [-> kAccepting] -> kStreaming -> kClosing -> kClosed,
// or kDetecting/kAccepting -> kFronting -> kClosing for rejected connections.
// - kFirstByte: nothing read yet; the timer is the first-byte timeout.
// - kDetecting: bytes are peeked (at most 64, in a buffer allocated only while needed)
//   until the detector decides; the timer is the detection timeout.
// - kHttp: an HTTP request was detected; HttpServerCodec parses it (same timer as
//   detection). On a listener that serves "http", the first POST opens the connection to
//   the adapter and it stays in kHttp: each POST body is a packet, answered through the
//   HttpExchange (gateway/conn/http_exchange.h); the timer is then the earlier of the oldest
//   request's max wait and the idle timeout. A WebSocket upgrade on /apiws* is answered with 101
//   and moves on to kAccepting with the WebSocket frames as the envelope of the obfuscated2 stream.
// - kAccepting: obfuscated2 or fake-TLS was detected (or a WebSocket was accepted);
//   SecureAccept checks the init / the ClientHello against the listener's secrets (same
//   timer as detection).
// - kFronting: a rejected connection spliced byte for byte to the listener's fronting
//   server (FrontingLink); the timer is the idle timeout.
// - kStreaming: bytes go through the TransportStack; packets become backend Frames. The
//   timer is the idle timeout, checked lazily against the last activity time so traffic
//   does not touch the timer heap.
// - kClosing: reading stopped; what is queued is flushed (bounded by kCloseFlushMs), or a
//   rejected connection lingers for a short random delay before it is closed.
// - kClosed: both handles are closing; the object deletes itself when they are closed.
//
// Memory: reads land in the worker's shared read buffer (see Worker::read_buffer), so an
// idle connection owns no read buffer; the codec keeps only the tail of an incomplete frame,
// the outbound queue is freed whenever it drains. sizeof(Connection) is printed by the unit
// tests and documented in docs/architecture.md.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "backend-adapters/api/frame.h"
#include "base/bytes.h"
#include "codecs/core/codec_error.h"
#include "codecs/core/transport_stack.h"
#include "codecs/detector/detector.h"
#include "codecs/http/http_server_codec.h"
#include "codecs/websocket/ws_stream_stage.h"
#include "gateway/conn/fronting.h"
#include "gateway/conn/http_exchange.h"
#include "gateway/conn/secure_accept.h"
#include "io/timer_heap.h"
#include "gateway/conn/tls_session.h"

namespace mtedge::gateway {

class Worker;
struct ListenerConfig;

// How long a closing connection may take to flush what is queued before it is cut.
inline constexpr uint64_t kCloseFlushMs = 5000;
// A connection that matches no allowed transport is closed after a random delay in
// [kRejectDelayMinMs, kRejectDelayMaxMs): probes get no instant signal
// (docs/codecs/detector.md "Allowed transports").
inline constexpr uint64_t kRejectDelayMinMs = 200;
inline constexpr uint64_t kRejectDelayMaxMs = 1000;

// The peer's address, compact (the string form is built only for logs and ConnInfo).
struct PeerAddress {
  std::array<uint8_t, 16> bytes{};
  uint16_t port = 0;
  uint8_t family = 0;  // AF_INET / AF_INET6
  std::string host() const;
  std::string to_string() const;
};

class Connection final : public codecs::FrameSink,
                         private codecs::http::RequestSink,
                         private FrontingOwner,
                         private io::TimerHeap::Node {
 public:
  enum class State : uint8_t {
    kFirstByte,
    kDetecting,
    kHttp,
    kAccepting,
    kStreaming,
    kFronting,
    kClosing,
    kClosed
  };

  // `listener_index` indexes the worker's config listeners.
  Connection(Worker& worker, uint16_t listener_index);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // After uv_accept into tcp(): assigns the id, starts the first-byte timer and reading.
  void start(backend::ConnId id);
  uv_tcp_t* tcp() { return &tcp_; }
  backend::ConnId id() const { return id_; }
  // The client's address as ConnInfo::client_ip has it (PROXY-protocol aware).
  std::string client_ip() const { return peer_.host(); }
  State state() const { return state_; }

  // GatewaySink operations (the worker looks the connection up by id).
  bool send_packet(ByteView packet);
  // A packet routed here by auth key (Worker::take_routed_http): answers a waiting request
  // or is queued for the next one. False when this connection no longer serves HTTP.
  bool take_routed_http(ByteView packet);
  void send_quick_ack(uint32_t token);
  void send_transport_error(int32_t code);
  void resume_reading();
  // Closes after what is queued is written (bounded by kCloseFlushMs).
  void begin_close(backend::CloseReason reason);
  // Closes at once; the adapter hears on_close if it heard on_open.
  void close_now(backend::CloseReason reason);
  // Called by the worker's check handle: starts a write of everything queued.
  void flush();
  bool dirty = false;  // queued in the worker's flush list

  // codecs::FrameSink
  bool on_packet(MutableByteView payload, bool quick_ack_requested) override;

 private:
  static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  // TimerHeap::Node: the one timer of this connection (its worker's TimerHeap) is due.
  void on_due() override;
  static void on_write(uv_write_t* req, int status);
  // Everything handed to the socket is written: flush what queued meanwhile, tell the
  // adapter when the queue drained below the low-water mark, finish a pending close.
  void after_write();
  static void on_handle_closed(uv_handle_t* handle);

  void handle_read(MutableByteView data);
  // tls = true listeners: decrypts, then handle_plain() on each decrypted chunk.
  void handle_tls_read(ByteView cipher);
  // Bytes as the client sent them (after TLS termination): detection, streaming, fronting.
  void handle_plain(MutableByteView data);
  // Peeks into the detector until it decides, then starts the transport and feeds the rest.
  void detect(MutableByteView data);
  // Starts what the detector found: a plain framer (kStreaming) or SecureAccept
  // (kAccepting). Returns the error for a connection that must be rejected.
  codecs::CodecError start_transport(const codecs::detector::Detection& d);
  // Sets up streaming with the stack in stack_ and tells the adapter.
  void open_stream(backend::ConnInfo info);
  codecs::FrameLimits frame_limits() const;
  SecureAcceptOptions secure_accept_options() const;
  // The owning worker (the loop's data) and this connection's listener: looked up, not kept,
  // to keep every connection 16 bytes smaller.
  Worker& worker() const;
  const ListenerConfig& listener() const;

  void feed(MutableByteView data);
  void accept_more(MutableByteView data);
  // `raw`: every byte the client sent so far, for fronting (empty = cannot front).
  void handle_codec_error(codecs::CodecError error, ByteView raw = {});
  // kFrontOrClose: splice to the listener's fronting server, else close after a delay.
  void front_or_close(ByteView raw);
  bool taking_bytes() const {
    return state_ == State::kHttp || state_ == State::kAccepting || state_ == State::kStreaming;
  }
  void feed_http(MutableByteView data);
  // Moves the HTTP codec's answered replies to the socket; closes when the codec says so.
  void take_http_output();
  // codecs::http::RequestSink
  bool on_request(const codecs::http::Request& request) override;
  bool on_upgrade(const codecs::http::UpgradeRequest& request) override;
  // MTProto over HTTP (kHttp with exchange_): a POST's packet becomes a Frame; the first
  // POST (a probe included) opens the connection to the adapter.
  bool serve_http_post(const codecs::http::Request& request);
  void open_http_exchange();
  // `may_route`: with no request waiting here, the packet may go to another connection
  // holding a request under the same auth key (route_http_packet).
  bool send_http_packet(ByteView packet, bool may_route = true);
  // Keeps this connection's entry in the gateway's HttpHolders in step with its waiting
  // requests and the auth key of its latest request.
  void sync_http_hold();
  // Sends `packet` to the connection that has held a request longest under the packet's
  // auth_key_id (any worker); false when there is none.
  bool route_http_packet(ByteView packet);
  void send_http_transport_error(int32_t code);
  // Parses what the codec stashed at its pipelining cap, then reads again if both the codec
  // and the adapter take more.
  void resume_http();
  // Answers requests past their max wait, closes an idle connection, re-arms the timer.
  void on_http_timer();
  void arm_http_timer();
  // Answers an HTTP request with an error reply (`status`, empty body) and closes after it.
  void refuse_request(uint64_t id, int status, bool cors);
  // WebSocket: queues the control frames the stage produced; closes once both sides sent
  // close (or after a protocol error), when they are written.
  void take_ws_output();
  // The transport error packet inside the stream, on WebSocket also a close frame (1000,
  // the code as reason); then closes once written.
  void write_transport_error_and_close(int32_t code, backend::CloseReason reason);
  void start_reading();
  // FrontingOwner
  bool fronting_data(ByteView bytes) override;
  void fronting_drained() override;
  void fronting_closed(bool connected) override;
  void mark_dirty();
  size_t queued() const { return pending_.size() + flight_.size(); }
  bool room_for(size_t bytes);
  bool after_enqueue();
  void stop_reading();
  void arm_timer(uint64_t ms);
  // Traffic in either direction: restarts the idle clock; a parked connection re-arms its
  // timer for the next quiet spell.
  void note_traffic();
  // Frees the write buffers if nothing is in flight: all of them (and the write request)
  // when `all`, else those keep_drained_buffer() does not keep.
  void release_write_buffers(bool all);
  // kStreaming / kFronting: ms until the timer is next due (0: idle_timeout_ms has passed).
  // Parks the transport stack once the connection has been quiet for park_after_ms.
  uint64_t streaming_timer_due();

  uint16_t listener_index_;  // first: it fits in the padding after TimerHeap::Node
  uv_tcp_t tcp_;
  // The request of a uv_write in flight: allocated when a write does not complete at once,
  // freed with the buffers when the queue drains (an idle connection does not carry it).
  std::unique_ptr<uv_write_t> write_req_;
  std::optional<codecs::TransportStack> stack_;
  std::unique_ptr<TlsSession> tls_;                      // tls = true listeners only
  std::unique_ptr<SecureAccept> accept_;                 // kAccepting only
  std::unique_ptr<codecs::http::HttpServerCodec> http_;  // kHttp, and the 101 reply
  std::unique_ptr<HttpExchange> exchange_;  // kHttp serving MTProto over POST (refers to http_)
  // The WebSocket stage when the transport is WebSocket (owned by accept_, then by stack_).
  codecs::websocket::WsStreamStage* ws_ = nullptr;
  FrontingLink* fronting_ = nullptr;  // kFronting only; deletes itself
  std::unique_ptr<uint8_t[]> peek_;   // detection only: up to detector::kMaxPeek bytes
  Bytes pending_;             // encoded, not yet handed to the kernel
  Bytes flight_;              // the one uv_write in flight
  backend::ConnId id_ = 0;
  uint64_t last_activity_ms_ = 0;
  PeerAddress peer_;
  State state_ = State::kFirstByte;
  backend::CloseReason close_reason_ = backend::CloseReason::kPeerClosed;
  uint8_t peek_len_ = 0;
  uint8_t open_handles_ = 0;
  bool opened_ = false;  // the adapter heard on_open
  bool paused_ = false;  // the adapter returned false from on_frame
  bool reading_ = false;
  bool above_high_ = false;    // a send_* returned false; on_client_drained is due
  bool linger_ = false;        // kClosing by front_or_close: wait for the timer
  bool http_feeding_ = false;  // inside http_->feed()/resume(): no re-entrant resume
  bool parked_ = false;        // kStreaming: stack_->park() ran and no traffic came since
};

}  // namespace mtedge::gateway
