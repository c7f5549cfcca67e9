// The session service: the MTProto session layer for the whole process, shared by every
// worker's adapter instance (docs/spec/wire-notes.md §8). Sessions are sharded by (auth_key_id,
// session_id) with one mutex per shard; per-key state lives in a second table sharded by
// auth_key_id. Lock order: a session shard, then a key shard; never the other way, never two
// session shards.
//
// handle() runs the session layer for one decrypted frame (salt, msg_id and seq_no checks,
// containers, gzip, service messages, RPC through the api::Dispatcher) and returns what to
// send, in order, on the calling connection. Server-initiated messages (push) go out on a live
// connection of the session through the Router the adapters install.
//
// HTTP connections (session_routing.cc) can carry a message only while they hold a request:
// the adapter reports when one starts or stops holding (set_holding), and the session's
// content-related messages go to the connection that has held a request longest, whichever
// connection produced them; with none holding they wait in `unacked` for the session's next
// request on any connection.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend-adapters/api/frame.h"
#include "backend-adapters/embedded/api/dispatcher.h"
#include "backend-adapters/embedded/config.h"
#include "backend-adapters/embedded/session/session.h"
#include "backend-adapters/embedded/state/storage.h"
#include "backend-adapters/embedded/state/store.h"
#include "mtproto/auth_keys/auth_key_store.h"
#include "mtproto/tl/schema.h"

namespace mtedge::backend::embedded {

class SessionLayer;

// Unix time in seconds with sub-second precision (injectable for tests).
using Clock = std::function<double()>;
double system_clock_now();

// http_wait#9299359f (docs/spec/wire-notes.md §4), in milliseconds: how long an HTTP request may be
// held.
struct HttpWait {
  int32_t max_delay = 0;
  int32_t wait_after = 0;
  int32_t max_wait = 25000;  // also the default when a request carries no http_wait
};

// How a connection carries server messages: as a stream (TCP, WebSocket), or one packet per
// HTTP request.
enum class ConnMode { kStream, kHttp };

// The answer to a call that wrote state: its rpc_result's `result`, sent once durable.
struct HeldAnswer {
  int64_t req_msg_id = 0;
  Bytes result;
};

// What one handle() call asks the adapter to do.
struct Outcome {
  int64_t salt = 0;  // the key's current salt, for every message below
  int64_t session_id = 0;
  std::vector<OutMessage> replies;  // send on the calling connection, in this order
  // ping_delay_disconnect: (re)arm this connection's close timer (seconds; 0 = cancel).
  std::optional<uint32_t> disconnect_after_s;
  // Connections to close once what is queued for them is written (any worker).
  std::vector<ConnId> close;
  // The frame carried http_wait (the last one wins); only HTTP connections use it.
  std::optional<HttpWait> http_wait;
  // The frame was refused whole, over its work budget (packet_decoder.h): nothing of it was
  // processed and `replies` is empty; the adapter closes the connection.
  bool over_budget = false;
  // Queries refused with FLOOD_WAIT (counted in mtedge_embedded_flood_waits_total).
  uint32_t flood_waits = 0;
  // With a Storage (set_storage): the frame's calls wrote state records up to `durable_lsn`
  // (0: none). Their answers and the updates they push to other sessions wait here until
  // when_durable(durable_lsn) answers; then answer_durable() sends them. So does the frame's
  // quick-ack (the adapter sends it).
  uint64_t durable_lsn = 0;
  std::vector<HeldAnswer> held_answers;
  std::vector<api::Push> held_pushes;
};

// Delivery of server messages to connections on any worker (installed by the adapters).
class Router {
 public:
  virtual ~Router() = default;
  virtual void deliver(ConnId conn, int64_t salt, const SessionKey& key,
                       std::vector<OutMessage> messages) = 0;
  virtual void close(ConnId conn, std::string reason) = 0;
};

struct ServiceStats {
  size_t sessions = 0;
  size_t keys = 0;
  uint64_t evicted_sessions = 0;      // the process-wide cap made room (idle sessions only)
  uint64_t evicted_key_sessions = 0;  // a key over max_sessions_per_key lost its LRU session
  uint64_t dropped_unacked = 0;       // queued messages forgotten on overflow
  uint64_t packets_over_budget = 0;   // frames refused whole (Outcome::over_budget)
};

class SessionService {
 public:
  SessionService(EmbeddedConfig config, std::shared_ptr<const mtproto::tl::SchemaSet> schemas,
                 Clock clock = system_clock_now);
  ~SessionService();
  SessionService(const SessionService&) = delete;
  SessionService& operator=(const SessionService&) = delete;

  const EmbeddedConfig& config() const { return config_; }
  api::Dispatcher& dispatcher() { return dispatcher_; }
  // The messenger state (users, messages) the API methods work on.
  state::Store& state() { return *state_; }
  std::shared_ptr<state::Store> shared_state() { return state_; }
  // Where the state persists (null: in memory only). With one, a call that writes records is
  // answered only once they are durable (Outcome::durable_lsn). Set before the first frame.
  void set_storage(std::shared_ptr<state::Storage> storage) { storage_ = std::move(storage); }
  state::Storage* storage() const { return storage_.get(); }
  // Outcome::held_answers once when_durable answered `durable`: each call's rpc_result, or
  // rpc_error 500 INTERNAL when persisting failed (the client retries; random_id dedupe keeps
  // a retried send from sending twice), queued and sent like push(); `pushes` are delivered
  // only when durable. A session gone meanwhile loses its answers (its client resends).
  void answer_durable(const SessionKey& key, std::vector<HeldAnswer> answers,
                      const std::vector<api::Push>& pushes, bool durable);
  const mtproto::tl::SchemaSet& schemas() const { return *schemas_; }

  // One decrypted frame that arrived on `conn` (frame.kind == kDecrypted). The replies start
  // with the session's unacknowledged messages when `conn` is new to the session or when they
  // could not be delivered before (Session::resend_unacked).
  Outcome handle(ConnId conn, const Frame& frame, ConnMode mode = ConnMode::kStream);
  // `conn` is gone (or now speaks for another session): unbind it from this session. When that
  // leaves the session without a connection and it was the last one that reported its user
  // online, the user goes offline (its contacts get updateUserStatus).
  void detach(ConnId conn, uint64_t auth_key_id, int64_t session_id);

  // Edge-stage hooks (optional). A new key: the handshake's server salt is accepted for one
  // rotation period, so the client's first message needs no bad_server_salt round trip.
  void on_auth_key_created(uint64_t auth_key_id, int64_t handshake_salt);
  // A key was destroyed outside this service: forget its sessions, return their connections.
  std::vector<ConnId> on_auth_key_destroyed(uint64_t auth_key_id);
  // The key store destroy_auth_key erases from (null: destroy_auth_key answers fail).
  void set_auth_key_store(std::shared_ptr<mtproto::AuthKeyStore> store);
  void set_router(Router* router);

  // Server-initiated content-related message for a session (updates, later): queued until
  // acked, sent now through the Router to route_target()'s connection. False if the session
  // is unknown.
  bool push(uint64_t auth_key_id, int64_t session_id, const Bytes& body);
  // Sends each update to every session of its user that has a live connection (but the one
  // it excepts), in that session's layer. Sessions without one catch up with getDifference.
  // Takes the state lock, then key shards, then session shards, one at a time.
  void deliver_pushes(const std::vector<api::Push>& pushes);

  // HTTP connection `conn` of session `key` now holds at least one request (true) or none.
  // Idempotent: reporting `true` again keeps the time it began holding.
  void set_holding(ConnId conn, const SessionKey& key, bool holding);
  // Where the session's content-related messages go now: the connection that has held a
  // request longest, else the newest stream connection; nullopt: none can carry them.
  std::optional<ConnId> route_target(const SessionKey& key);
  // `messages` (content-related, so also in `unacked`) reached a connection that could not
  // carry them (gone, or HTTP with no request left, e.g. its long poll expired meanwhile): they
  // are sent again to route_target(), or, with none, with the session's next request.
  void undelivered(const SessionKey& key, int64_t salt, std::vector<OutMessage> messages);

  // HTTP (one MTProto packet per response): wraps `messages` in one msg_container with a
  // fresh server msg_id of the session (greater than every inner id; seq_no even). An empty
  // `messages` gives the empty container that answers an expired long poll. The session is
  // created if it is gone (its ids then start afresh, as for any new session).
  OutMessage container(uint64_t auth_key_id, int64_t session_id,
                       const std::vector<OutMessage>& messages);

  // Salts (per key, derived from a process secret and the rotation window index).
  int64_t current_salt(uint64_t auth_key_id, double now) const;
  bool salt_valid(uint64_t auth_key_id, int64_t salt, double now);

  // Drops every idle session now (each shard also expires lazily when it is used); returns
  // how many went. The adapter of worker 0 calls it once a minute.
  size_t sweep();

  ServiceStats stats() const;

 private:
  friend class SessionLayer;
  static constexpr size_t kShards = 64;
  struct Shard {
    mutable std::mutex mu;
    // The sessions themselves live in the LRU list (front = most recently used; splicing
    // keeps references stable); the map finds them by key.
    std::list<Session> lru;
    std::unordered_map<SessionKey, std::list<Session>::iterator, SessionKeyHash> sessions;
  };
  struct KeyShard {
    mutable std::mutex mu;
    std::list<KeyState> lru;  // as Shard::lru
    std::unordered_map<uint64_t, std::list<KeyState>::iterator> keys;
  };

  Shard& shard_of(const SessionKey& key) { return shards_[SessionKeyHash{}(key) % kShards]; }
  KeyShard& key_shard_of(uint64_t id) { return key_shards_[(id ^ (id >> 23)) % kShards]; }
  // Finds or creates a session; shard lock held. A full shard makes room by dropping its least
  // recently active session without a live connection (sessions with one may exceed the cap:
  // there are no more of them than connections). A new session is registered with its key;
  // when that puts the key over max_sessions_per_key, `*key_victim` names the key's least
  // recently active other session, for the caller to evict_key_session() once it released
  // the shard lock.
  Session& session_locked(Shard& shard, const SessionKey& key, double now, bool* created,
                          std::optional<int64_t>* key_victim);
  // Drops session `key` (if it still exists), counted as a per-key eviction.
  void evict_key_session(const SessionKey& key);
  // The key's state forgets one of its sessions (which is gone); key shard only.
  void forget_key_session(const SessionKey& key);
  // Unlinks a session from its shard and its key; shard lock held.
  void erase_locked(Shard& shard, std::list<Session>::iterator it);
  // Drops sessions idle longer than session_idle_expiry_s (at most max_steps looked at).
  void expire_locked(Shard& shard, double now, size_t max_steps);
  // Runs `fn` on the key's state (created if missing) under its shard lock.
  template <class Fn>
  auto with_key(uint64_t auth_key_id, Fn&& fn);
  int64_t salt_for_window(uint64_t auth_key_id, int64_t window) const;
  // route_target() under the shard lock; with no target the session is flagged for a resend
  // (Session::resend_unacked) in the same critical section, so no new request is missed.
  static std::optional<ConnId> route_target_locked(Session& session, bool flag_if_none);
  void deliver_through_router(ConnId target, int64_t salt, const SessionKey& key,
                              std::vector<OutMessage> messages);
  // Runs `emit` on session `key` (false: no such session) under its shard lock, then sends
  // what it emitted to route_target() (push, answer_durable).
  bool emit_and_route(const SessionKey& key, const std::function<void(SessionLayer&)>& emit);
  // One update to one session if it has a live connection; `bodies` caches it per layer.
  void push_update(const SessionKey& key, int key_layer, const mtproto::tl::Object& updates,
                   std::map<int, Bytes>& bodies);

  // Deferred operations that need other shards (run after the session's lock is released).
  int32_t destroy_session(uint64_t auth_key_id, int64_t session_id);
  uint32_t destroy_auth_key(uint64_t auth_key_id, std::vector<ConnId>* conns);

  EmbeddedConfig config_;
  std::shared_ptr<const mtproto::tl::SchemaSet> schemas_;
  Clock clock_;
  std::shared_ptr<state::Store> state_;
  std::shared_ptr<state::Storage> storage_;
  api::Dispatcher dispatcher_;
  const uint64_t instance_id_;  // tells this service's entries in the per-thread salt cache apart
  std::array<uint8_t, 32> salt_secret_{};
  size_t per_shard_sessions_ = 1;
  size_t per_shard_keys_ = 1;
  std::array<Shard, kShards> shards_;
  std::array<KeyShard, kShards> key_shards_;

  mutable std::mutex hooks_mu_;
  std::shared_ptr<mtproto::AuthKeyStore> key_store_;
  Router* router_ = nullptr;

  std::atomic<uint64_t> evicted_sessions_{0};
  std::atomic<uint64_t> evicted_key_sessions_{0};
  std::atomic<uint64_t> dropped_unacked_{0};
  std::atomic<uint64_t> packets_over_budget_{0};
};

template <class Fn>
auto SessionService::with_key(uint64_t auth_key_id, Fn&& fn) {
  KeyShard& shard = key_shard_of(auth_key_id);
  std::lock_guard lock(shard.mu);
  auto it = shard.keys.find(auth_key_id);
  if (it == shard.keys.end()) {
    while (shard.keys.size() >= per_shard_keys_ && !shard.lru.empty()) {
      shard.keys.erase(shard.lru.back().auth_key_id);
      shard.lru.pop_back();
    }
    shard.lru.emplace_front().auth_key_id = auth_key_id;
    it = shard.keys.emplace(auth_key_id, shard.lru.begin()).first;
  } else {
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  }
  return fn(*it->second);
}

}  // namespace mtedge::backend::embedded
