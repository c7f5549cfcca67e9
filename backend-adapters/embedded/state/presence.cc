#include "backend-adapters/embedded/state/presence.h"

#include <algorithm>
#include <chrono>

namespace mtedge::backend::embedded::state {

void Presence::set_clock(std::function<double()> clock) {
  std::lock_guard lock(mu_);
  clock_ = std::move(clock);
}

int32_t Presence::now_locked() const {
  if (clock_) return int32_t(clock_());
  using namespace std::chrono;
  return int32_t(duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

bool Presence::set_online(int64_t user, uint64_t auth_key_id, int64_t session_id, int32_t now,
                          int32_t ttl_s) {
  std::lock_guard lock(mu_);
  Entry& entry = users_[user];
  const bool was_online = online_locked(entry, now);
  if (!was_online) {
    // Expired: earlier reports no longer count.
    for (const SessionRef& session : entry.sessions) session_user_.erase(session);
    entry.sessions.clear();
  }
  entry.online_until = now + ttl_s;
  entry.sessions.insert({auth_key_id, session_id});
  session_user_[{auth_key_id, session_id}] = user;
  return !was_online;
}

bool Presence::go_offline_locked(Entry& entry, int32_t now) {
  for (const SessionRef& session : entry.sessions) session_user_.erase(session);
  entry.sessions.clear();
  if (!online_locked(entry, now)) return false;
  entry.online_until = 0;
  entry.was_online = now;
  return true;
}

bool Presence::set_offline(int64_t user, int32_t now) {
  std::lock_guard lock(mu_);
  Entry& entry = users_[user];
  const bool was_seen = entry.was_online != 0 || entry.online_until != 0;
  const bool changed = go_offline_locked(entry, now);
  if (!was_seen) entry.was_online = now;
  return changed;
}

int64_t Presence::session_gone(uint64_t auth_key_id, int64_t session_id, int32_t now) {
  std::lock_guard lock(mu_);
  auto it = session_user_.find({auth_key_id, session_id});
  if (it == session_user_.end()) return 0;
  const int64_t user = it->second;
  session_user_.erase(it);
  Entry& entry = users_[user];
  entry.sessions.erase({auth_key_id, session_id});
  if (!entry.sessions.empty()) return 0;
  return go_offline_locked(entry, now) ? user : 0;
}

Presence::Status Presence::status(int64_t user) const {
  std::lock_guard lock(mu_);
  auto it = users_.find(user);
  if (it == users_.end()) return Status{};
  const Entry& entry = it->second;
  Status status{true, entry.online_until, entry.was_online};
  if (!online_locked(entry, now_locked())) {
    // Expired: offline since the moment it expired.
    status.was_online = std::max(entry.was_online, entry.online_until);
    status.online_until = 0;
  }
  return status;
}

}  // namespace mtedge::backend::embedded::state
