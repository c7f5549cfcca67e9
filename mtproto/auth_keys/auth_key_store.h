// AuthKeyStore: the auth keys the edge knows, shared by all worker threads.
//
// Contract: every method is thread-safe. find() is the hot path (one call per encrypted frame
// whose connection has not cached its key yet) and never blocks on persistence I/O of other
// keys for long. Permanent keys survive restarts when the implementation persists; temporary
// keys (p_q_inner_data_temp*, bound with auth.bindTempAuthKey) live in memory only and expire.
#pragma once

#include <cstdint>
#include <memory>

#include "base/status.h"
#include "mtproto/keys/auth_key.h"

namespace mtedge::mtproto {

struct StoredAuthKey {
  AuthKey key;
  int64_t created_at = 0;      // unix seconds
  int64_t expires_at = 0;      // unix seconds for temp keys; 0 = never
  uint64_t bound_perm_id = 0;  // temp keys: the permanent key it is bound to (0 = unbound)
  int32_t dc_id = 0;           // dc the key was created for (as sent by the client; 0 = unknown)
  bool temp = false;

  uint64_t id() const { return key.id(); }
  bool expired(int64_t now) const { return expires_at != 0 && now >= expires_at; }
};

class AuthKeyStore {
 public:
  virtual ~AuthKeyStore() = default;

  // The key with this auth_key_id, or null. Expired temp keys are returned as stored; callers
  // check expired(now) (an expired key is "unknown": -404).
  virtual std::shared_ptr<const StoredAuthKey> find(uint64_t auth_key_id) const = 0;
  // Adds a key unless its id is already present (the handshake's collision check: false means
  // "answer dh_gen_retry"). A permanent key is persisted before this returns true; a
  // persistence failure is returned as an error and the key is not added.
  virtual Result<bool> insert(const StoredAuthKey& key) = 0;
  // Adds or replaces.
  virtual Status put(const StoredAuthKey& key) = 0;
  // Removes a key (destroy_auth_key, logout). Returns whether it was present.
  virtual Result<bool> erase(uint64_t auth_key_id) = 0;
  // Binds temp key `temp_id` to permanent key `perm_id` until `expires_at` (unix seconds).
  // Fails if either key is unknown, `temp_id` is not a temp key or `perm_id` is.
  virtual Status bind_temp(uint64_t temp_id, uint64_t perm_id, int64_t expires_at) = 0;
  // Drops expired temp keys; returns how many.
  virtual size_t erase_expired(int64_t now) = 0;
  virtual size_t size() const = 0;

  // Counters for /metrics (monotonic; a store without the capability reports 0).
  struct Counters {
    uint64_t evicted = 0;       // temp keys dropped (expired or least recently used) for room
    uint64_t refused_full = 0;  // new keys refused: only permanent keys left at capacity
  };
  virtual Counters counters() const { return {}; }
};

}  // namespace mtedge::mtproto
