// SessionService: where a session's content-related messages leave (pushes, replies routed by
// session, redeliveries). A stream connection can always carry them; an HTTP connection only
// while it holds a request, which the adapter reports through set_holding().
#include <spdlog/spdlog.h>

#include <algorithm>

#include "backend-adapters/embedded/api/answer.h"
#include "backend-adapters/embedded/session/session_layer.h"
#include "backend-adapters/embedded/session/session_service.h"

namespace mtedge::backend::embedded {

std::optional<ConnId> SessionService::route_target_locked(Session& session, bool flag_if_none) {
  const SessionConn* holder = nullptr;
  for (const SessionConn& c : session.conns) {
    if (c.holding_since != 0 && (holder == nullptr || c.holding_since < holder->holding_since))
      holder = &c;
  }
  if (holder != nullptr) return holder->id;
  for (auto it = session.conns.rbegin(); it != session.conns.rend(); ++it) {
    if (!it->http) return it->id;
  }
  if (flag_if_none) session.resend_unacked = true;
  return std::nullopt;
}

void SessionService::set_holding(ConnId conn, const SessionKey& key, bool holding) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.sessions.find(key);
  if (it == shard.sessions.end()) return;
  Session& session = *it->second;
  for (SessionConn& c : session.conns) {
    if (c.id != conn) continue;
    if (!holding) {
      c.holding_since = 0;
    } else if (c.holding_since == 0) {
      c.holding_since = ++session.holding_counter;
    }
  }
}

std::optional<ConnId> SessionService::route_target(const SessionKey& key) {
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.sessions.find(key);
  if (it == shard.sessions.end()) return std::nullopt;
  return route_target_locked(*it->second, false);
}

void SessionService::undelivered(const SessionKey& key, int64_t salt,
                                 std::vector<OutMessage> messages) {
  std::optional<ConnId> target;
  {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.sessions.find(key);
    if (it == shard.sessions.end()) return;  // gone with its queue: nothing to resend
    target = route_target_locked(*it->second, true);
  }
  if (target) deliver_through_router(*target, salt, key, std::move(messages));
}

bool SessionService::emit_and_route(const SessionKey& key,
                                    const std::function<void(SessionLayer&)>& emit) {
  const double now = clock_();
  Outcome out;
  out.salt = current_salt(key.auth_key_id, now);
  std::optional<ConnId> target;
  {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.sessions.find(key);
    if (it == shard.sessions.end()) return false;
    SessionLayer layer(*this, *it->second, now, out);
    emit(layer);
    // Without a connection that can carry them, the messages wait in the unacked queue.
    target = route_target_locked(*it->second, true);
  }
  if (target) deliver_through_router(*target, out.salt, key, std::move(out.replies));
  return true;
}

bool SessionService::push(uint64_t auth_key_id, int64_t session_id, const Bytes& body) {
  return emit_and_route(SessionKey{auth_key_id, session_id},
                        [&](SessionLayer& layer) { layer.emit(body, true, false); });
}

void SessionService::answer_durable(const SessionKey& key, std::vector<HeldAnswer> answers,
                                    const std::vector<api::Push>& pushes, bool durable) {
  const Bytes failed = api::rpc_error(500, "INTERNAL");
  emit_and_route(key, [&](SessionLayer& layer) {
    for (const HeldAnswer& answer : answers) {
      layer.rpc_answer(answer.req_msg_id, durable ? ByteView(answer.result) : ByteView(failed));
    }
  });
  if (durable) deliver_pushes(pushes);
}

void SessionService::deliver_pushes(const std::vector<api::Push>& pushes) {
  for (const api::Push& push : pushes) {
    const std::vector<uint64_t> keys =
        state_->read([&](const state::Model& model) { return model.keys_of(push.user_id); });
    std::map<int, Bytes> bodies;  // the update serialized per answer layer
    for (uint64_t auth_key_id : keys) {
      std::vector<int64_t> sessions;
      int key_layer = 0;
      with_key(auth_key_id, [&](KeyState& k) {
        key_layer = k.layer;
        for (const KeySession& s : k.sessions) sessions.push_back(s.session_id);
      });
      for (int64_t session_id : sessions) {
        if (auth_key_id == push.except_auth_key_id && session_id == push.except_session_id) {
          continue;
        }
        push_update(SessionKey{auth_key_id, session_id}, key_layer, push.updates, bodies);
      }
    }
  }
}

void SessionService::push_update(const SessionKey& key, int key_layer,
                                 const mtproto::tl::Object& updates, std::map<int, Bytes>& bodies) {
  const double now = clock_();
  Outcome out;
  out.salt = current_salt(key.auth_key_id, now);
  std::optional<ConnId> target;
  {
    Shard& shard = shard_of(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.sessions.find(key);
    if (it == shard.sessions.end() || it->second->conns.empty()) return;
    Session& session = *it->second;
    const int layer = schemas_->pick_layer(session.layer > 0 ? session.layer : key_layer);
    auto body = bodies.find(layer);
    if (body == bodies.end()) {
      auto bytes = api::serialize_fitted(*schemas_->layer(layer), updates);
      if (!bytes) {
        spdlog::warn("embedded: update not sent [layer = {}, error = {}]", layer, bytes.message());
        return;
      }
      body = bodies.emplace(layer, std::move(bytes.value())).first;
    }
    SessionLayer(*this, session, now, out).emit(body->second, true, false);
    target = route_target_locked(session, true);
  }
  if (target) deliver_through_router(*target, out.salt, key, std::move(out.replies));
}

void SessionService::deliver_through_router(ConnId target, int64_t salt, const SessionKey& key,
                                            std::vector<OutMessage> messages) {
  Router* router = nullptr;
  {
    std::lock_guard lock(hooks_mu_);
    router = router_;
  }
  if (router) router->deliver(target, salt, key, std::move(messages));
}

}  // namespace mtedge::backend::embedded
