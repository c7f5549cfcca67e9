// The per-worker edge crypto stage: a decorator that sits between the worker and the real
// adapter when crypto.edge_decryption is on (docs/mtproto.md "The edge decryption stage").
//
//   worker --Frame{unencrypted|encrypted}--> EdgeStage --Frame{decrypted}--> inner adapter
//   worker <--send_packet (encrypted, x = 8)-- EdgeStage <--send_message-- inner adapter
//
// Unencrypted packets (auth_key_id 0) go to this connection's HandshakeServer; its replies go
// out with send_packet and a refused query with its transport error (then close). Encrypted
// packets: an auth_key_id the store does not know (or an expired temp key) gets -404; a packet
// that fails msg_key (constant-time) or the length/padding checks closes the connection
// without saying which check failed; a good one is handed to the inner adapter as a kDecrypted
// frame, then acknowledged with its quick-ack token when the client asked and the connection
// is still open (the ack means "the server has it"), unless the inner adapter sends its
// quick-acks itself (BackendAdapter::sends_quick_acks; the token is in the frame). The
// connection keeps the key of its last good packet, so replies are still encrypted after the
// key left the store (destroy_auth_key_ok goes out under the destroyed key).
//
// Costly handshake steps (req_DH_params, set_client_DH_params) run through options.offload
// when it is set (a crypto thread): the connection's reading pauses (on_frame returns false),
// frames it had already read are held in order, and when the result is posted back the reply
// goes out, the held frames follow and reading resumes. A result for a connection that closed
// meanwhile is dropped.
//
// Reentrancy: any sink or inner-adapter call may close the connection (on_close from inside
// it); nothing here uses a connection's state after such a call without looking it up again,
// and no frame reaches the inner adapter for a connection that is not open.
//
// Threading: one EdgeStage per worker, used only on that worker's loop, like any adapter (the
// offloaded work touches only the connection's HandshakeServer, not the stage). Frames reach
// the inner adapter in the order the client sent them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "backend-adapters/api/adapter.h"
#include "base/bytes.h"
#include "crypto/random.h"
#include "gateway/edge/edge_crypto.h"
#include "gateway/runtime/metrics.h"
#include "mtproto/handshake/handshake_server.h"

namespace mtedge::gateway {

struct EdgeStageOptions {
  // When set, the stage runs EdgeCrypto::sweep on this loop every sweep_interval_ms (one
  // worker is enough: the state is process-wide). The timer never keeps the loop alive.
  uv_loop_t* sweep_loop = nullptr;
  uint64_t sweep_interval_ms = 10'000;
  MetricsShard* metrics = nullptr;  // gateway_errors counters; optional
  // Unix time in milliseconds (handshake timeouts and msg_ids, temp key expiry).
  std::function<int64_t()> now_ms;
  crypto::RandomSource random = crypto::secure_random_source();  // padding
  // A connection's client address, asked for when its handshake starts (the per-IP handshake
  // limit). Looked up rather than kept: most connections never handshake twice. Unset: "".
  std::function<std::string(backend::ConnId)> client_ip;
  // Runs a costly handshake step somewhere else (EdgeCrypto::pool); the job posts its result
  // back with `post`. Returns false when it cannot take the job (the pool's queue is full):
  // the query is then refused with -429 on the loop. Unset: every step runs inline.
  std::function<bool(std::function<void()>)> offload;
  // Runs a task on this stage's loop; callable from any thread. Required with `offload`.
  std::function<void(std::function<void()>)> post;
};

class EdgeStage final : public backend::BackendAdapter, public backend::GatewaySink {
 public:
  // `sink` is the worker's sink (outlives the stage). The inner adapter is created with this
  // stage as its sink, then handed over with set_inner() before the first event.
  EdgeStage(std::shared_ptr<EdgeCrypto> crypto, backend::GatewaySink& sink,
            EdgeStageOptions options = {});
  ~EdgeStage() override;
  EdgeStage(const EdgeStage&) = delete;
  EdgeStage& operator=(const EdgeStage&) = delete;

  void set_inner(std::unique_ptr<backend::BackendAdapter> inner);

  // backend::BackendAdapter (called by the worker).
  void on_open(const backend::ConnInfo& info) override;
  bool on_frame(const backend::Frame& frame) override;
  void on_client_drained(backend::ConnId conn) override;
  void on_client_quiet(backend::ConnId conn) override;
  void on_close(backend::ConnId conn, backend::CloseReason reason) override;
  void stop(std::function<void()> done) override;
  bool backend_up() const override { return !inner_ || inner_->backend_up(); }

  // backend::GatewaySink (called by the inner adapter). send_message encrypts with the
  // connection's key; the rest pass through to the worker.
  bool send_packet(backend::ConnId conn, backend::ByteView packet) override;
  bool send_message(backend::ConnId conn, const backend::OutboundMessage& message) override;
  void send_quick_ack(backend::ConnId conn, uint32_t token) override;
  void send_transport_error(backend::ConnId conn, int32_t code) override;
  void close(backend::ConnId conn, std::string_view reason) override;
  void resume_reading(backend::ConnId conn) override;

 private:
  // A frame read while a handshake step was in flight, kept until the step is done.
  struct HeldFrame {
    backend::FrameKind kind;
    uint64_t auth_key_id;
    bool quick_ack;
    Bytes packet;
  };
  // Packets a connection may have read behind an offloaded step (one read's worth in practice).
  static constexpr size_t kMaxHeldFrames = 64;
  struct Conn {
    // From the first unencrypted packet; shared with an offloaded step in flight.
    std::shared_ptr<mtproto::HandshakeServer> handshake;
    std::shared_ptr<const mtproto::StoredAuthKey> key;  // of the last good encrypted packet
    bool http = false;            // HTTP: a handshake may go on over another connection
    bool step_in_flight = false;  // an offloaded handshake step; reading is paused
    bool inner_paused = false;    // the inner adapter returned false and did not resume yet
    std::deque<HeldFrame> held;   // read during the step, in order
  };
  // Where offloaded steps post their results. The stage clears `stage` when it goes, so a late
  // result finds nobody (`post` is the worker's, which outlives the stage).
  struct Mailbox {
    std::mutex mu;
    EdgeStage* stage = nullptr;
    std::function<void(std::function<void()>)> post;
  };

  // One frame of an open connection that is not waiting for a step.
  bool dispatch(backend::ConnId id, Conn& conn, const backend::Frame& frame);
  bool on_unencrypted(backend::ConnId id, Conn& conn, const backend::Frame& frame);
  bool on_encrypted(backend::ConnId id, Conn& conn, const backend::Frame& frame);
  bool to_inner(backend::ConnId id, const backend::Frame& frame);
  // Hands the step to options.offload; false when it did not take it.
  bool offload_step(backend::ConnId id, Conn& conn, const backend::Frame& frame, int64_t now_ms);
  void step_done(backend::ConnId id, const std::weak_ptr<mtproto::HandshakeServer>& server,
                 mtproto::HandshakeOutput out);
  // Sends a handshake step's answer; may close the connection.
  void answer_handshake(backend::ConnId id, mtproto::HandshakeOutput out);
  // After a step: the held frames in order, then reading again (unless the inner adapter paused
  // it or another step started).
  void release_held(backend::ConnId id);
  void count(GatewayError error);
  void stop_sweep_timer();

  std::shared_ptr<EdgeCrypto> crypto_;
  backend::GatewaySink& sink_;
  EdgeStageOptions options_;
  std::unique_ptr<backend::BackendAdapter> inner_;
  std::unordered_map<backend::ConnId, Conn> conns_;
  Bytes scratch_;  // a copy of the packet being decrypted in place (reused)
  Bytes out_;      // the packet being encrypted (reused)
  uv_timer_t* sweep_timer_ = nullptr;
  std::shared_ptr<Mailbox> mailbox_;
};

}  // namespace mtedge::gateway
