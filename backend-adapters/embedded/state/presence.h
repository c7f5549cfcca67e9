// Who is online: each user's online status, in memory only (not a record; after a restart
// every user reads as "recently" until it reports a status again). A user is online until the
// time its last account.updateStatus(offline=false) allowed, until it reports offline, or
// until the last session that reported it online has no connection left. Thread-safe (its own
// mutex, a leaf: nothing is called out while it is held).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

namespace mtedge::backend::embedded::state {

class Presence {
 public:
  // online_until > now: online until then; else offline since was_online (0: never seen).
  struct Status {
    bool known = false;
    int32_t online_until = 0;
    int32_t was_online = 0;
  };

  // Unix seconds; status() compares against it.
  void set_clock(std::function<double()> clock);

  // `user` is online until `now + ttl_s`, reported by session (auth_key_id, session_id).
  // True if it was not online before (the change is worth announcing).
  bool set_online(int64_t user, uint64_t auth_key_id, int64_t session_id, int32_t now,
                  int32_t ttl_s);
  // `user` went offline at `now`; true if it was online.
  bool set_offline(int64_t user, int32_t now);
  // The session has no connection left: its user goes offline if this was the last session
  // that reported it online and it still is. Returns that user, else 0.
  int64_t session_gone(uint64_t auth_key_id, int64_t session_id, int32_t now);

  Status status(int64_t user) const;

 private:
  using SessionRef = std::pair<uint64_t, int64_t>;
  struct Entry {
    int32_t online_until = 0;
    int32_t was_online = 0;
    std::set<SessionRef> sessions;  // sessions that reported it online
  };
  bool online_locked(const Entry& entry, int32_t now) const { return entry.online_until > now; }
  int32_t now_locked() const;
  bool go_offline_locked(Entry& entry, int32_t now);

  mutable std::mutex mu_;
  std::function<double()> clock_;
  std::unordered_map<int64_t, Entry> users_;
  std::map<SessionRef, int64_t> session_user_;
};

}  // namespace mtedge::backend::embedded::state
