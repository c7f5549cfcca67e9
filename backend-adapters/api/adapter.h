// The BackendAdapter contract (docs/architecture.md "What plugs in where").
//
// Threading: the gateway creates one adapter instance per worker thread and calls it only
// on that worker's loop. The adapter answers through the worker's GatewaySink, also only on
// that loop; an adapter that does work elsewhere hops back with AdapterContext::post.
//
// Flow control: nothing blocks and nothing is dropped silently.
// - on_frame returning false means "I cannot take more from this client now": the gateway
//   stops reading that client until the adapter calls GatewaySink::resume_reading.
// - GatewaySink::send_* returning false means the client's outbound queue is above its
//   high-water mark: the adapter should stop producing for it (e.g. stop reading its
//   upstream) until BackendAdapter::on_client_drained.
// Ordering: frames of one connection reach the adapter in the order the client sent them.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "backend-adapters/api/adapter_metrics.h"
#include "backend-adapters/api/frame.h"

struct uv_loop_s;

namespace mtedge::backend {

class GatewaySink {
 public:
  virtual ~GatewaySink() = default;
  // Sends a raw MTProto packet (unencrypted, or encrypted by the backend) in the client's
  // transport. Returns false when the client's outbound queue is above its high-water mark.
  virtual bool send_packet(ConnId conn, ByteView packet) = 0;
  // Edge decryption on: encrypts `message` with the connection's auth key (x = 8) and sends it.
  virtual bool send_message(ConnId conn, const OutboundMessage& message) = 0;
  // Sends a quick-ack token in the client's transport.
  virtual void send_quick_ack(ConnId conn, uint32_t token) = 0;
  // Sends a transport error (-404, -429, -444) and closes the connection once it is written.
  virtual void send_transport_error(ConnId conn, int32_t code) = 0;
  // Closes the connection after what is queued is written. `reason` goes to the log.
  virtual void close(ConnId conn, std::string_view reason) = 0;
  // Undoes a `false` from on_frame: the gateway reads this client again.
  virtual void resume_reading(ConnId conn) = 0;
  // Edge decryption on: the connection sent a packet that decrypted under a known auth key.
  // The gateway's admission control then stops treating it as unauthenticated (its
  // auth_timeout_ms deadline ends and it is no longer first in line for eviction).
  virtual void mark_authenticated(ConnId /*conn*/) {}
};

struct AdapterContext {
  uv_loop_s* loop = nullptr;  // this worker's loop
  unsigned worker = 0;        // this worker's index
  unsigned workers = 1;       // how many workers there are
  GatewaySink* sink = nullptr;
  // Runs `task` on worker `worker`'s loop (thread-safe, never blocks).
  std::function<void(unsigned worker, std::function<void()> task)> post;
  // This worker's counters for /metrics (see adapter_metrics.h). The gateway always sets
  // it; an adapter created elsewhere (a unit test) may get null.
  AdapterMetrics* metrics = nullptr;
};

class BackendAdapter {
 public:
  virtual ~BackendAdapter() = default;
  virtual void on_open(const ConnInfo& info) = 0;
  // Returns false to pause reading this client (see above).
  virtual bool on_frame(const Frame& frame) = 0;
  // The client's outbound queue fell below its low-water mark.
  virtual void on_client_drained(ConnId /*conn*/) {}
  // Nothing went either way on the client connection for gateway.park_after_ms (once per
  // quiet spell): the moment to free per-connection buffers that traffic would rebuild.
  virtual void on_client_quiet(ConnId /*conn*/) {}
  // Edge decryption on: a DH handshake on this worker created auth key `auth_key_id`; its
  // first message may carry `server_salt` (new_nonce[0..8) XOR server_nonce[0..8)).
  virtual void on_auth_key_created(uint64_t /*auth_key_id*/, int64_t /*server_salt*/) {}
  // The connection is gone; the adapter must not send to it any more.
  virtual void on_close(ConnId conn, CloseReason reason) = 0;
  // Edge decryption: true when the adapter sends the quick-acks of decrypted frames itself
  // (GatewaySink::send_quick_ack with Frame::quick_ack_token), e.g. only once what the frame
  // changed is durable; false: the edge stage sends each once on_frame returned.
  virtual bool sends_quick_acks() const { return false; }
  // Whether the backend can serve clients now, as far as the adapter can tell (the management
  // API's /health asks every worker's adapter on its loop). One that cannot tell says true.
  virtual bool backend_up() const { return true; }
  // Graceful shutdown: finish in-flight work, then call `done` on this worker's loop.
  virtual void stop(std::function<void()> done) { done(); }
};

}  // namespace mtedge::backend
