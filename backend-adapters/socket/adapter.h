// SocketAdapter: one instance per worker. It binds each client connection to one backend
// stream (rendezvous hash of its auth_key_id; handshake connections by connection id,
// with bounded load), keeps that binding while the auth key stays the same (so a session's
// frames stay in order on one stream), and turns backend messages into GatewaySink calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "backend-adapters/socket/config.h"
#include "backend-adapters/socket/protocol.h"
#include "backend-adapters/socket/rendezvous.h"
#include "io/flush_list.h"

namespace mtedge::backend::socket {

class BackendStream;

// Outcomes this worker counts, exported on /metrics as mtedge_socket_<name>_total (summed
// over the workers; socket.md "Counted outcomes") and logged when the adapter stops. The
// counters live in the worker's AdapterMetrics; single writer: this worker.
struct SocketCounters {
  explicit SocketCounters(AdapterMetrics& metrics);
  Counter& frames_to_backend;
  Counter& messages_from_backend;
  Counter& down_outcomes;     // clients given on_backend_down: their endpoint was down
  Counter& deadline_expired;  // client frames that waited past message_deadline_ms
  Counter& queue_overflows;   // clients failed at max_queued_bytes
  Counter& undelivered;       // backend messages whose target was not on the stream
  Counter& stream_failures;
  Counter& protocol_errors;       // backend breaches: bad message, beyond credit
  Counter& rebinds;               // connections moved to another endpoint (new auth key)
  Counter& credit_share_settled;  // messages to a slow client past its credit share
  Counter& write_stalls;          // streams failed because the backend stopped reading
};

class SocketAdapter final : public BackendAdapter {
 public:
  SocketAdapter(std::shared_ptr<const SocketConfig> config,
                std::shared_ptr<const RendezvousHash> hash, const AdapterContext& context);
  ~SocketAdapter() override;

  void on_open(const ConnInfo& info) override;
  bool on_frame(const Frame& frame) override;
  // Edge decryption: announced to the key's endpoint (AuthKeyCreated) if that backend asked.
  void on_auth_key_created(uint64_t auth_key_id, int64_t server_salt) override;
  void on_client_drained(ConnId conn) override;
  void on_close(ConnId conn, CloseReason reason) override;
  void stop(std::function<void()> done) override;
  // Some endpoint's stream is ready (HelloAck accepted).
  bool backend_up() const override;

  const SocketCounters& counters() const { return counters_; }

  // Used by BackendStream.
  SocketCounters& counters() { return counters_; }
  GatewaySink& sink() { return *context_.sink; }
  uv_loop_s* loop() { return context_.loop; }
  unsigned worker() const { return context_.worker; }
  const SocketConfig& config() const { return *config_; }
  char* read_buffer() { return read_buffer_.data(); }
  size_t read_buffer_size() const { return read_buffer_.size(); }
  // Flushes `stream` in this loop iteration's check phase (many frames, one write).
  void mark_dirty(BackendStream* stream);
  // The stream failed: every client bound to it gets on_backend_down.
  void on_stream_down(BackendStream& stream);
  // Gives the client on_backend_down and unbinds it (no-op for an unknown client).
  void fail_client(ConnId conn, std::string_view reason);
  // Acts on one checked backend message. Returns the client to hold its credit for (it is
  // above its high-water mark), or nothing when the credit can go straight back. The stream
  // holds at most max_held_credit_per_client for one client and settles the rest.
  std::optional<ConnId> on_backend_message(BackendStream& stream,
                                           const v1::BackendMessage& message);

 private:
  struct SessionKey {
    uint64_t auth_key_id;
    int64_t session_id;  // 0: any session of the auth key
    bool operator==(const SessionKey&) const = default;
  };
  struct SessionKeyHash {
    size_t operator()(const SessionKey& k) const {
      return std::hash<uint64_t>()(k.auth_key_id ^
                                   (uint64_t(k.session_id) * 0x9e3779b97f4a7c15ull));
    }
  };
  struct Client {
    ConnInfo info;
    int endpoint = -1;         // bound stream, -1 = none yet (or unbound after a failure)
    uint64_t auth_key_id = 0;  // the key it was routed by; 0 = by connection id
    bool failed = false;       // the outcome was given; the gateway is closing it
    std::vector<SessionKey> sessions;
  };

  // Binds (or rebinds) the client for `frame`; false when it was failed instead.
  bool bind(ConnId id, Client& client, const Frame& frame);
  void unbind(ConnId id, Client& client, v1::CloseReason reason);
  void track_session(ConnId id, Client& client, const Frame& frame);
  void untrack_sessions(ConnId id, Client& client);
  // The client on `stream` a ServerFrame is for, if any.
  std::optional<ConnId> resolve(const BackendStream& stream, const v1::ServerFrame& frame) const;
  bool bound_to(ConnId id, const BackendStream& stream) const;
  void give_outcome(ConnId id, std::string_view reason);
  void maybe_done();

  std::shared_ptr<const SocketConfig> config_;
  std::shared_ptr<const RendezvousHash> hash_;
  AdapterContext context_;
  std::vector<BackendStream*> streams_;  // one per endpoint; each deletes itself on shutdown
  std::vector<size_t> loads_;            // bound clients per endpoint
  std::unordered_map<ConnId, Client> clients_;
  std::unordered_map<SessionKey, std::vector<ConnId>, SessionKeyHash> sessions_;
  io::FlushList dirty_;
  bool dirty_closed_ = false;  // stop() closed dirty_ and its handles are closed
  std::vector<char> read_buffer_;
  std::unique_ptr<AdapterMetrics> own_metrics_;  // when the context has none
  SocketCounters counters_;
  bool stopping_ = false;
  std::function<void()> done_;
};

}  // namespace mtedge::backend::socket
