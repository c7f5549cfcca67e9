#include "backend-adapters/embedded/session/session_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "backend-adapters/embedded/biz/biz.h"
#include "backend-adapters/embedded/session/service_ids.h"
#include "backend-adapters/embedded/session/session_layer.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "mtproto/auth_keys/destroy_auth_key.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::backend::embedded {

namespace {

// Session::last_active from a clock reading.
uint32_t whole_seconds(double unix_seconds) {
  return unix_seconds <= 0 ? 0 : static_cast<uint32_t>(unix_seconds);
}
std::atomic<uint64_t> next_instance_id{1};

// Salts are checked on every message: a small per-thread cache saves the HMACs.
struct SaltCacheEntry {
  uint64_t instance = 0;
  uint64_t auth_key_id = 0;
  int64_t window = 0;
  int64_t salt = 0;
};
thread_local std::array<SaltCacheEntry, 256> salt_cache;
}  // namespace

double system_clock_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

SessionService::SessionService(EmbeddedConfig config,
                               std::shared_ptr<const mtproto::tl::SchemaSet> schemas, Clock clock)
    : config_(std::move(config)),
      schemas_(std::move(schemas)),
      clock_(std::move(clock)),
      state_(std::make_shared<state::Store>()),
      dispatcher_(schemas_, config_),
      instance_id_(next_instance_id.fetch_add(1)) {
  state_->presence().set_clock(clock_);
  api::add_help_methods(dispatcher_);
  biz::add_methods(dispatcher_, state_);
  crypto::random_bytes(salt_secret_);
  per_shard_sessions_ = std::max<size_t>(1, (config_.max_sessions + kShards - 1) / kShards);
  per_shard_keys_ = std::max<size_t>(1, (config_.max_auth_keys + kShards - 1) / kShards);
  for (Shard& shard : shards_) shard.sessions.max_load_factor(kPerConnectionMapLoad);
  for (KeyShard& shard : key_shards_) shard.keys.max_load_factor(kPerConnectionMapLoad);
}

SessionService::~SessionService() = default;

void SessionService::set_auth_key_store(std::shared_ptr<mtproto::AuthKeyStore> store) {
  std::lock_guard lock(hooks_mu_);
  key_store_ = std::move(store);
}

void SessionService::set_router(Router* router) {
  std::lock_guard lock(hooks_mu_);
  router_ = router;
}

// ---- salts -------------------------------------------------------------------------------

int64_t SessionService::salt_for_window(uint64_t auth_key_id, int64_t window) const {
  uint64_t mix = (auth_key_id ^ uint64_t(window) * 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
  SaltCacheEntry& entry = salt_cache[(mix >> 56) & 0xff];
  if (entry.instance == instance_id_ && entry.auth_key_id == auth_key_id &&
      entry.window == window) {
    return entry.salt;
  }
  uint8_t input[16];
  for (int i = 0; i < 8; ++i) {
    input[i] = uint8_t(auth_key_id >> (8 * i));
    input[8 + i] = uint8_t(uint64_t(window) >> (8 * i));
  }
  auto digest = crypto::hmac_sha256(salt_secret_, ByteView(input, sizeof input));
  entry = SaltCacheEntry{instance_id_, auth_key_id, window, int64_t(load_le64(digest.data()))};
  return entry.salt;
}

int64_t SessionService::current_salt(uint64_t auth_key_id, double now) const {
  auto window = static_cast<int64_t>(std::floor(now / config_.salt_rotation_s));
  return salt_for_window(auth_key_id, window);
}

bool SessionService::salt_valid(uint64_t auth_key_id, int64_t salt, double now) {
  auto window = static_cast<int64_t>(std::floor(now / config_.salt_rotation_s));
  // The current salt, and the previous one for one more period.
  if (salt == salt_for_window(auth_key_id, window) ||
      salt == salt_for_window(auth_key_id, window - 1)) {
    return true;
  }
  bool ok = false;
  KeyShard& shard = key_shard_of(auth_key_id);
  std::lock_guard lock(shard.mu);
  auto it = shard.keys.find(auth_key_id);
  if (it != shard.keys.end() && it->second->handshake_salt_until > now &&
      it->second->handshake_salt == salt) {
    ok = true;
  }
  return ok;
}

// ---- key state ---------------------------------------------------------------------------

void SessionService::on_auth_key_created(uint64_t auth_key_id, int64_t handshake_salt) {
  double now = clock_();
  with_key(auth_key_id, [&](KeyState& key) {
    key.handshake_salt = handshake_salt;
    key.handshake_salt_until = now + config_.salt_rotation_s;
  });
}

// ---- sessions ----------------------------------------------------------------------------

void SessionService::expire_locked(Shard& shard, double now, size_t max_steps) {
  // The LRU back is the least recently active. A session with a live connection is not idle:
  // it moves to the front (bounded steps per call, so this stays O(1) amortized).
  for (size_t steps = 0; steps < max_steps && !shard.lru.empty(); ++steps) {
    Session& s = shard.lru.back();
    if (now - s.last_active < config_.session_idle_expiry_s) break;
    if (!s.conns.empty()) {
      s.last_active = whole_seconds(now);
      shard.lru.splice(shard.lru.begin(), shard.lru, std::prev(shard.lru.end()));
      continue;
    }
    erase_locked(shard, std::prev(shard.lru.end()));
  }
}

void SessionService::erase_locked(Shard& shard, std::list<Session>::iterator it) {
  forget_key_session(it->key);
  shard.sessions.erase(it->key);
  shard.lru.erase(it);
}

void SessionService::forget_key_session(const SessionKey& key) {
  KeyShard& ks = key_shard_of(key.auth_key_id);
  std::lock_guard lock(ks.mu);
  auto it = ks.keys.find(key.auth_key_id);
  if (it == ks.keys.end()) return;
  std::erase_if(it->second->sessions,
                [&](const KeySession& s) { return s.session_id == key.session_id; });
}

void SessionService::evict_key_session(const SessionKey& key) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.sessions.find(key);
  if (it == shard.sessions.end()) return;
  erase_locked(shard, it->second);
  evicted_key_sessions_.fetch_add(1, std::memory_order_relaxed);
}

Session& SessionService::session_locked(Shard& shard, const SessionKey& key, double now,
                                        bool* created, std::optional<int64_t>* key_victim) {
  const uint32_t seconds = whole_seconds(now);
  auto it = shard.sessions.find(key);
  if (it != shard.sessions.end()) {
    Session& session = *it->second;
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    if (session.last_active != seconds) {
      // The key's view of its sessions' activity, refreshed at most once a second.
      with_key(key.auth_key_id, [&](KeyState& k) {
        for (KeySession& s : k.sessions) {
          if (s.session_id == key.session_id) s.last_active = seconds;
        }
      });
    }
    session.last_active = seconds;
    *created = false;
    return session;
  }
  // Full: the least recently active session without a live connection goes. Live ones met on
  // the way move to the front (bounded steps; they are no more than the connections).
  for (size_t steps = 0;
       shard.sessions.size() >= per_shard_sessions_ && steps < 64 && !shard.lru.empty(); ++steps) {
    auto oldest = std::prev(shard.lru.end());
    if (!oldest->conns.empty()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, oldest);
      continue;
    }
    erase_locked(shard, oldest);
    evicted_sessions_.fetch_add(1, std::memory_order_relaxed);
  }
  Session& session = shard.lru.emplace_front();
  session.key = key;
  session.unique_id = crypto::random_u64();
  session.last_active = seconds;
  shard.sessions.emplace(key, shard.lru.begin());
  *created = true;
  with_key(key.auth_key_id, [&](KeyState& k) {
    session.layer = k.layer;
    session.app = k.app;
    k.sessions.push_back(KeySession{key.session_id, seconds});
    if (k.sessions.size() <= config_.max_sessions_per_key) return;
    // Over the key's cap: its least recently active other session goes (the new one is last).
    auto victim = std::min_element(
        k.sessions.begin(), std::prev(k.sessions.end()),
        [](const KeySession& a, const KeySession& b) { return a.last_active < b.last_active; });
    *key_victim = victim->session_id;
    k.sessions.erase(victim);
  });
  return session;
}

Outcome SessionService::handle(ConnId conn, const Frame& frame, ConnMode mode) {
  const double now = clock_();
  Outcome out;
  const SessionKey key{frame.auth_key_id, frame.session_id};
  out.session_id = frame.session_id;
  out.salt = current_salt(frame.auth_key_id, now);
  // The heavy part (inflating, unwrapping, skipping) runs before any lock, within the budget.
  PacketLimits limits;
  limits.inflate_bytes = inflate_budget_for(frame.body.size(), config_.max_inflate_bytes);
  limits.nodes = config_.max_packet_nodes;
  const DecodedPacket packet = DecodedPacket::decode(frame.body, limits);
  if (packet.over_budget()) {
    packets_over_budget_.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("embedded: packet over its {} refused [size = {}]", packet.over_budget_reason(),
                  frame.body.size());
    out.over_budget = true;
    return out;
  }
  const bool salt_ok = salt_valid(key.auth_key_id, frame.salt, now);
  std::vector<Deferred> deferred;
  std::vector<api::Push> pushes;
  std::optional<int64_t> key_victim;
  {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mu);
    expire_locked(shard, now, 8);
    if (!salt_ok && !shard.sessions.contains(key)) {
      // No session is created for a message whose salt is wrong.
      Session scratch;
      scratch.key = key;
      SessionLayer(*this, scratch, now, out).bad_server_salt(frame.msg_id, frame.seq_no);
      return out;
    }
    bool created = false;
    Session& session = session_locked(shard, key, now, &created, &key_victim);
    const bool known = std::any_of(session.conns.begin(), session.conns.end(),
                                   [conn](const SessionConn& c) { return c.id == conn; });
    if (!known) session.conns.push_back(SessionConn{conn, mode == ConnMode::kHttp, 0});
    if (!known || session.resend_unacked) {
      // A new connection of a known session, or messages no connection could carry: everything
      // not yet acknowledged goes out first.
      session.resend_unacked = false;
      for (const QueuedMessage& queued : session.unacked) out.replies.push_back(queued.message);
    }
    SessionLayer layer(*this, session, now, out, packet);
    if (salt_ok) {
      layer.process(frame.msg_id, frame.seq_no, frame.body);
    } else {
      layer.bad_server_salt(frame.msg_id, frame.seq_no);
    }
    deferred = std::move(layer.deferred());
    pushes = std::move(layer.pushes());
  }
  if (key_victim) evict_key_session(SessionKey{key.auth_key_id, *key_victim});
  if (out.durable_lsn != 0) {
    out.held_pushes = std::move(pushes);  // they wait for the answers' durability
  } else {
    deliver_pushes(pushes);
  }

  for (const Deferred& d : deferred) {
    Bytes body;
    mtproto::TlWriter w(body);
    if (d.kind == Deferred::Kind::kDestroySession) {
      int32_t answer = destroy_session(
          key.auth_key_id, d.target_session_id == key.session_id ? 0 : d.target_session_id);
      w.write_uint32(uint32_t(answer));
      w.write_int64(d.target_session_id);
      std::optional<int64_t> victim;
      {
        Shard& shard = shard_of(key);
        std::lock_guard lock(shard.mu);
        bool created = false;
        Session& session = session_locked(shard, key, now, &created, &victim);
        SessionLayer(*this, session, now, out).emit(std::move(body), false, true);
      }
      if (victim) evict_key_session(SessionKey{key.auth_key_id, *victim});
    } else {
      uint32_t answer = destroy_auth_key(key.auth_key_id, &out.close);
      w.write_uint32(answer);
      // The key's sessions are gone; the answer still goes out, encrypted with the key the
      // connection holds, before the connections close.
      Session scratch;
      scratch.key = key;
      SessionLayer(*this, scratch, now, out).emit(std::move(body), false, true);
    }
  }
  return out;
}

int32_t SessionService::destroy_session(uint64_t auth_key_id, int64_t session_id) {
  // session_id 0: the caller's own session, which is not destroyed under its own feet.
  if (session_id == 0) return int32_t(ids::kDestroySessionNone);
  SessionKey key{auth_key_id, session_id};
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.sessions.find(key);
  if (it == shard.sessions.end()) return int32_t(ids::kDestroySessionNone);
  // Its connections stay open: their next message starts a new session.
  erase_locked(shard, it->second);
  return int32_t(ids::kDestroySessionOk);
}

std::vector<ConnId> SessionService::on_auth_key_destroyed(uint64_t auth_key_id) {
  std::vector<ConnId> conns;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (auto it = shard.sessions.begin(); it != shard.sessions.end();) {
      if (it->first.auth_key_id == auth_key_id) {
        for (const SessionConn& c : it->second->conns) conns.push_back(c.id);
        shard.lru.erase(it->second);
        it = shard.sessions.erase(it);
      } else {
        ++it;
      }
    }
  }
  KeyShard& ks = key_shard_of(auth_key_id);
  std::lock_guard lock(ks.mu);
  auto it = ks.keys.find(auth_key_id);
  if (it != ks.keys.end()) {
    ks.lru.erase(it->second);
    ks.keys.erase(it);
  }
  return conns;
}

uint32_t SessionService::destroy_auth_key(uint64_t auth_key_id, std::vector<ConnId>* conns) {
  std::shared_ptr<mtproto::AuthKeyStore> store;
  {
    std::lock_guard lock(hooks_mu_);
    store = key_store_;
  }
  if (!store) {
    spdlog::warn("embedded: destroy_auth_key without a key store: answered fail");
    return mtproto::kDestroyAuthKeyFail;
  }
  uint32_t answer = mtproto::destroy_auth_key(*store, auth_key_id);
  if (answer != mtproto::kDestroyAuthKeyFail) {
    // The key is gone: it no longer speaks for its user.
    state_->write([&](state::Transaction& txn) {
      if (txn.model().user_of_key(auth_key_id) != 0) txn.apply(state::KeyUnbound{auth_key_id});
    });
    auto closed = on_auth_key_destroyed(auth_key_id);
    conns->insert(conns->end(), closed.begin(), closed.end());
  }
  return answer;
}

void SessionService::detach(ConnId conn, uint64_t auth_key_id, int64_t session_id) {
  SessionKey key{auth_key_id, session_id};
  const double now = clock_();
  {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.sessions.find(key);
    if (it == shard.sessions.end()) return;
    auto& conns = it->second->conns;
    std::erase_if(conns, [conn](const SessionConn& c) { return c.id == conn; });
    it->second->last_active = whole_seconds(now);
    if (!conns.empty()) return;
  }
  const int64_t offline = state_->presence().session_gone(auth_key_id, session_id, int32_t(now));
  if (offline == 0) return;
  deliver_pushes(state_->read(
      [&](const state::Model& model) { return biz::status_pushes(model, offline, int32_t(now)); }));
}

OutMessage SessionService::container(uint64_t auth_key_id, int64_t session_id,
                                     const std::vector<OutMessage>& messages) {
  Bytes body;
  mtproto::TlWriter w(body);
  w.write_uint32(ids::kMsgContainer);
  w.write_uint32(static_cast<uint32_t>(messages.size()));
  for (const OutMessage& m : messages) {
    w.write_int64(m.msg_id);
    w.write_int32(m.seq_no);
    w.write_int32(static_cast<int32_t>(m.body->size()));
    w.write_raw(*m.body);
  }
  const double now = clock_();
  const SessionKey key{auth_key_id, session_id};
  std::optional<int64_t> victim;
  OutMessage wrapped;
  {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mu);
    bool created = false;
    Session& session = session_locked(shard, key, now, &created, &victim);
    Outcome scratch;
    wrapped = SessionLayer(*this, session, now, scratch).emit(std::move(body), false, false);
  }
  if (victim) evict_key_session(SessionKey{auth_key_id, *victim});
  return wrapped;
}

size_t SessionService::sweep() {
  const double now = clock_();
  size_t before = 0;
  size_t after = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    before += shard.sessions.size();
    expire_locked(shard, now, shard.sessions.size());
    after += shard.sessions.size();
  }
  return before - after;
}

ServiceStats SessionService::stats() const {
  ServiceStats s;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    s.sessions += shard.sessions.size();
  }
  for (const KeyShard& shard : key_shards_) {
    std::lock_guard lock(shard.mu);
    s.keys += shard.keys.size();
  }
  s.evicted_sessions = evicted_sessions_.load(std::memory_order_relaxed);
  s.evicted_key_sessions = evicted_key_sessions_.load(std::memory_order_relaxed);
  s.dropped_unacked = dropped_unacked_.load(std::memory_order_relaxed);
  s.packets_over_budget = packets_over_budget_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace mtedge::backend::embedded
