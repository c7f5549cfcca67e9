// The two sides of one client connection: ConnPort, the io half as a driver sees it, and
// ConnDriver, the one interface the io half (gateway/conn/connection.h) calls.
//
// A connection runs one driver at a time, one per mode: sniffing (sniff_driver.h),
// accepting obfuscated2 / fake-TLS / WebSocket (accept_driver.h), streaming through a
// TransportStack (stream_driver.h), HTTP exchanges (http_driver.h), fronting
// (fronting_driver.h). A driver knows its port and its codec, never another driver and
// never the runtime that owns the connection; a mode change is a port call
// (open_stream, accept, front_or_close) that REPLACES the calling driver.
//
// Contract for drivers:
// - Port calls may close the connection (close_now, begin_close, a full outbound queue in
//   room_for, the adapter closing it from a callback). After any of them, check closing()
//   before going on; a closing connection hands no more bytes to its driver.
// - A port call that changes the mode destroys the calling driver before it returns: the
//   caller returns at once without touching its members (move what it still needs into
//   locals first). Bytes for the new mode go through deliver().
// - The driver's codec may keep views into the bytes it is handed only during the call.
#pragma once

#include <spdlog/spdlog.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "backend-adapters/api/adapter.h"
#include "backend-adapters/api/frame.h"
#include "base/bytes.h"
#include "codecs/core/codec_error.h"
#include "codecs/core/transport_stack.h"
#include "gateway/conn/secure_accept.h"
#include "gateway/runtime/config.h"
#include "gateway/runtime/metrics.h"

namespace mtedge::codecs::obfuscated {
class ReplayCache;
}
namespace mtedge::codecs::websocket {
class WsStreamStage;
}

namespace mtedge::gateway {

// The names drivers use for the runtime's settings and error counters.
using ConnSettings = GatewaySettings;
using ConnError = GatewayError;

// The peer's address, compact (the string form is built only for logs and ConnInfo).
struct PeerAddress {
  std::array<uint8_t, 16> bytes{};
  uint16_t port = 0;
  uint8_t family = 0;  // AF_INET / AF_INET6
  std::string host() const;
  std::string to_string() const;
};

class ConnPort {
 public:
  // ---- who and where
  virtual backend::ConnId id() const = 0;
  virtual const PeerAddress& peer() const = 0;
  virtual const ListenerConfig& listener() const = 0;
  virtual const ConnSettings& settings() const = 0;
  virtual MetricsShard& metrics() = 0;
  virtual backend::BackendAdapter& adapter() = 0;
  virtual uint64_t random() = 0;
  // The listener's anti-replay cache for inits of `transport` (kFakeTls, or obfuscated2 with a
  // secret), and the one for obfuscated2 inits without a secret.
  virtual codecs::obfuscated::ReplayCache& replay_cache(codecs::TransportKind transport) = 0;
  virtual codecs::obfuscated::ReplayCache& no_secret_replay_cache() = 0;

  // ---- time: the loop's clock (ms) and the last traffic either way
  virtual uint64_t now_ms() const = 0;
  virtual uint64_t last_activity_ms() const = 0;
  // Restarts the idle clock without counting as traffic for the driver (on_traffic).
  virtual void touch() = 0;
  // The connection's one timer: ConnDriver::on_timer() runs `ms` from now (re-arming moves it).
  virtual void arm_timer(uint64_t ms) = 0;

  // ---- writing: encoders append to out(), then call after_enqueue() (or mark_dirty())
  virtual Bytes& out() = 0;
  // Bytes queued or in flight.
  virtual size_t queued() const = 0;
  // False (and the connection is closed with `limit`) when `bytes` more would exceed
  // write_buffer_limit.
  virtual bool room_for(size_t bytes) = 0;
  // Schedules a write of out() after this poll phase.
  virtual void mark_dirty() = 0;
  // mark_dirty(); false while the queue is above write_buffer_high (the adapter then hears
  // on_client_drained via ConnDriver::on_drained()).
  virtual bool after_enqueue() = 0;
  // Frees drained write buffers and the write request (a parked connection).
  virtual void release_write_buffers() = 0;

  // ---- reading
  // Stops / restarts reading the socket (a closing connection does not read again).
  virtual void stop_reading() = 0;
  virtual void start_reading() = 0;

  // ---- closing
  virtual bool closing() const = 0;
  // After what is queued is written (bounded by kCloseFlushMs).
  virtual void begin_close(backend::CloseReason reason) = 0;
  // At once; the adapter hears on_close if it heard on_open.
  virtual void close_now(backend::CloseReason reason) = 0;

  // ---- admission (docs/operations.md "Admission")
  // A complete packet of at least kAuthKeyIdSize bytes reached the adapter (`encrypted`: its
  // auth_key_id is not 0). Restarts the frame_timeout_ms deadline; call it before on_frame.
  virtual void note_packet(bool encrypted) = 0;

  // ---- the adapter and mode changes
  // Fills in id, client address, listener and tls, logs the transport, calls on_open.
  virtual void open_adapter(backend::ConnInfo info) = 0;
  // Counts a codec error and logs it (the driver then takes the error's action).
  virtual void count_codec_error(codecs::CodecError error) = 0;
  // Builds the stream's TransportStack with `build`, makes streaming the mode (replacing the
  // caller) and tells the adapter `info`. `ws`: the WebSocket stage inside the stack, if any.
  virtual void open_stream(
      backend::ConnInfo info, codecs::websocket::WsStreamStage* ws,
      const std::function<void(std::optional<codecs::TransportStack>&)>& build) = 0;
  // Makes accepting the mode (replacing the caller).
  virtual void accept(std::unique_ptr<SecureAccept> accept,
                      codecs::websocket::WsStreamStage* ws) = 0;
  // Makes HTTP the mode (replacing the caller).
  virtual void serve_http() = 0;
  // kFrontOrClose: splices `raw` (every byte the client sent) to the listener's fronting
  // server, replacing the caller; with no fronting server or nothing to splice, stops
  // reading and closes after a random delay.
  virtual void front_or_close(ByteView raw) = 0;
  // Hands bytes to the current driver (after a mode change). Dropped when closing(), and
  // once fronting: the link starts with the bytes the rejected mode saw.
  virtual void deliver(MutableByteView bytes) = 0;

  // ---- MTProto over HTTP, across every connection of the process
  // This connection now holds a waiting request under `key` instead of `old_key` (0: none).
  virtual void hold_http(uint64_t old_key, uint64_t key) = 0;
  // Hands `packet` to the connection that has held a request longest under `key` (on
  // whichever thread it runs); that connection's id, or nullopt when none holds one.
  virtual std::optional<backend::ConnId> route_http(uint64_t key, ByteView packet) = 0;

 protected:
  ~ConnPort() = default;
};

class ConnDriver {
 public:
  virtual ~ConnDriver() = default;
  // Bytes as the client sent them (after TLS termination), in the read buffer: may be
  // modified in place, valid only during the call.
  virtual void on_bytes(MutableByteView data) = 0;
  // The connection's timer is due (while the connection is not closing).
  virtual void on_timer() = 0;
  // A read or a completed write restarted the idle clock.
  virtual void on_traffic() {}
  // The outbound queue fell to write_buffer_low after after_enqueue() said false.
  virtual void on_drained() {}
  // The connection is closing for good: let go of what refers to others.
  virtual void on_close() {}
  // Bytes this driver's codecs hold for the client (inbound tails, HTTP stash and queue),
  // for gateway.max_memory_bytes.
  virtual size_t buffered_bytes() const { return 0; }
  // True while the adapter's packets are framed for the client (shutdown flushes those).
  virtual bool streaming() const { return false; }

  // The adapter's calls for this connection (backend::GatewaySink), while not closing.
  virtual bool send_packet(ByteView) { return true; }  // dropped: nothing goes out yet
  virtual void send_quick_ack(uint32_t) {}
  virtual void send_transport_error(int32_t) {}
  virtual void resume_reading() {}
  // A packet another connection routed here by auth key; false when this mode takes none.
  virtual bool take_routed_http(ByteView) { return false; }
};

// Debug log lines of a connection: "conn <id> peer <address>: <message>". The message and
// the peer's string are built only when debug logging is on.
template <typename... Args>
void conn_debug(const ConnPort& port, fmt::format_string<Args...> format, Args&&... args) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  spdlog::debug("conn {:#x} peer {}: {}", port.id(), port.peer().to_string(),
                fmt::format(format, std::forward<Args>(args)...));
}

// Counts a connection error and logs "error <name>" plus the formatted detail, if any.
template <typename... Args>
void note_error(ConnPort& port, ConnError error, fmt::format_string<Args...> format,
                Args&&... args) {
  port.metrics().count(error);
  if (!spdlog::should_log(spdlog::level::debug)) return;
  const std::string detail = fmt::format(format, std::forward<Args>(args)...);
  conn_debug(port, "error {}{}{}", gateway_error_name(error), detail.empty() ? "" : " ", detail);
}
inline void note_error(ConnPort& port, ConnError error) {
  note_error(port, error, "");
}

// The error action every mode shares: kFrontOrClose fronts `raw` (or lingers), anything
// else closes now (what was queued, e.g. a ServerHello, is dropped).
inline void close_for_codec_error(ConnPort& port, codecs::CodecError error, ByteView raw = {}) {
  if (codecs::error_info(error).action == codecs::ErrorAction::kFrontOrClose) {
    port.front_or_close(raw);
  } else {
    port.close_now(backend::CloseReason::kProtocolError);
  }
}

// The packet fields every mode checks: shorter packets carry no auth_key_id and are
// answered with kBadPacketCode (-404, "MTProto fields broken", docs/spec/wire-notes.md §1.6).
inline constexpr size_t kAuthKeyIdSize = 8;
inline constexpr int32_t kBadPacketCode = -404;

// A backend Frame for `packet` (at least kAuthKeyIdSize bytes) of connection `id`.
inline backend::Frame make_frame(backend::ConnId id, MutableByteView packet, bool quick_ack) {
  backend::Frame frame;
  frame.conn_id = id;
  frame.auth_key_id = load_le64(packet.data());
  frame.kind =
      frame.auth_key_id == 0 ? backend::FrameKind::kUnencrypted : backend::FrameKind::kEncrypted;
  frame.quick_ack = quick_ack;
  frame.packet = packet;
  return frame;
}

// The frame caps of a connection's TransportStack.
inline codecs::FrameLimits frame_limits(const ConnSettings& s) {
  codecs::FrameLimits limits;
  limits.max_frame = s.max_frame_bytes;
  limits.first_frame_max = s.first_frame_max_bytes;
  return limits;
}

// What SecureAccept checks on this connection's listener.
inline SecureAcceptOptions secure_accept_options(ConnPort& port) {
  SecureAcceptOptions options;
  options.secrets = port.listener().secrets;
  options.init.allow_no_secret = port.listener().allow_no_secret;
  options.init.no_secret_replay = &port.no_secret_replay_cache();
  options.init.dd_strict = port.listener().dd_strict;
  options.tls.hello.max_past_seconds = port.settings().tls_max_past_seconds;
  options.tls.hello.max_future_seconds = port.settings().tls_max_future_seconds;
  return options;
}

}  // namespace mtedge::gateway
