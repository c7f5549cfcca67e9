// The normalized model every backend adapter sees (docs/architecture.md "Packets to frames",
// docs/protocol.md "Gateway → backend").
// proto/mtedge/v1/backend.proto carries the same model on the wire; keep them one-to-one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "codecs/core/transport.h"

namespace mtedge::backend {

using mtedge::ByteView;
using mtedge::MutableByteView;

// Connection ids are unique per process; the top 16 bits name the owning worker so any
// thread can route a reply to the right loop.
using ConnId = uint64_t;
inline constexpr unsigned kConnIdWorkerShift = 48;
inline unsigned worker_of(ConnId id) {
  return static_cast<unsigned>(id >> kConnIdWorkerShift);
}
inline ConnId make_conn_id(unsigned worker, uint64_t serial) {
  return (uint64_t(worker) << kConnIdWorkerShift) |
         (serial & ((uint64_t(1) << kConnIdWorkerShift) - 1));
}

// Hash maps with one entry per connection run at this load (entries per bucket): a bucket is
// 8 bytes, so at the default load of 1 the buckets alone cost 8-16 bytes per connection per
// map; at 2 half that, for a lookup that walks about one more node.
inline constexpr float kPerConnectionMapLoad = 2.0f;

// Travels with the open event.
struct ConnInfo {
  ConnId id = 0;
  // How the client reached the gateway, from the transport table (codecs/core/transport.h):
  // `transport` is what the detector saw (websocket for an upgraded HTTP request) and
  // `framing` the transport packets are framed in inside it. A plain TCP transport is both;
  // MTProto over HTTP is kHttp for both.
  codecs::TransportKind transport = codecs::TransportKind::kIntermediate;
  codecs::TransportKind framing = codecs::TransportKind::kIntermediate;
  std::string client_ip;  // the TCP peer's address
  uint16_t client_port = 0;
  std::string listener;          // the listener's name from the config
  std::optional<int16_t> dc_id;  // from the obfuscated2 header, signed (test +10000, media < 0)
  std::string secret_label;      // the matched MTProxy secret's label, never the secret
  bool tls = false;              // TLS terminated by a `tls = true` listener

  // HTTP: every request carries at most one packet and is answered by at most one.
  bool one_reply_per_request() const { return framing == codecs::TransportKind::kHttp; }
};

// The transport as logs and the socket protocol spell it: "intermediate", "http",
// "obfuscated/abridged", "fake-tls/padded", "websocket/obfuscated/abridged".
std::string transport_path(const ConnInfo& info);

enum class FrameKind : uint8_t {
  kUnencrypted,  // auth_key_id == 0: a handshake message; `packet` is the whole MTProto packet
  kEncrypted,    // pass-through: `packet` is auth_key_id | msg_key | ciphertext
  kDecrypted,    // edge decryption on: the fields below are set, `body` is message_data
};

// A view: valid only during BackendAdapter::on_frame. Copy what you keep.
struct Frame {
  ConnId conn_id = 0;
  FrameKind kind = FrameKind::kUnencrypted;
  uint64_t auth_key_id = 0;
  bool quick_ack = false;  // the client asked for a quick ack
  ByteView packet;         // kUnencrypted / kEncrypted
  // kDecrypted only:
  int64_t salt = 0;
  int64_t session_id = 0;
  int64_t msg_id = 0;
  int32_t seq_no = 0;
  ByteView body;
  // The client asked for a quick ack: its token, for an adapter that sends quick-acks itself
  // (BackendAdapter::sends_quick_acks).
  uint32_t quick_ack_token = 0;
};

// A message an adapter asks the edge crypto stage to encrypt (x = 8) and send.
struct OutboundMessage {
  int64_t salt = 0;
  int64_t session_id = 0;
  int64_t msg_id = 0;
  int32_t seq_no = 0;
  ByteView body;
};

enum class CloseReason : uint8_t {
  kPeerClosed,     // the client closed or reset
  kProtocolError,  // bad bytes from the client
  kTimeout,        // first-byte, detection, handshake or idle timeout
  kLimit,          // a cap was hit (buffers, connections)
  kAdapter,        // the adapter asked to close
  kShutdown,       // the gateway is stopping
  kAdminKill,      // closed through the management API (DELETE /v1/connections)
};

inline constexpr size_t kCloseReasonCount = static_cast<size_t>(CloseReason::kAdminKill) + 1;

const char* close_reason_name(CloseReason reason);

}  // namespace mtedge::backend
