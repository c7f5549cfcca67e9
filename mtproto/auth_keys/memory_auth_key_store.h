// In-memory AuthKeyStore sharded by auth_key_id, optionally persisted to a file.
//
// Persistence file (little-endian; docs/mtproto.md "Key storage"):
//   header  "MTEDGEAK" | version u32 = 1 | reserved u32 = 0
//   records, each followed by CRC32 (zlib) of the record bytes before it:
//     put   : 0x01 | auth_key_id u64 | created_at i64 | dc_id i32 | auth_key 256 B | crc u32
//     erase : 0x02 | auth_key_id u64 | crc u32
// New permanent keys and erasures are appended (and fdatasync'ed when sync_writes); open()
// rewrites the file compactly (temp file + fsync + rename) when it holds garbage records, and
// compact() does so on demand. The file is created with mode 0600. Only permanent keys are
// written; temp keys stay in memory. A corrupt file (bad magic/version, bad CRC, unknown record,
// key whose id does not match) is rejected by open() with an error naming the offset; a
// truncated final record (a crash during an append) is dropped and the file rewritten.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "mtproto/auth_keys/auth_key_store.h"

namespace mtedge::mtproto {

struct MemoryAuthKeyStoreOptions {
  std::string path;              // empty: memory only
  bool sync_writes = true;       // fdatasync after each append
  size_t max_keys = 10'000'000;  // insert/put fail beyond this (memory bound)
};

class MemoryAuthKeyStore final : public AuthKeyStore {
 public:
  // Opens (loading the file if `options.path` is set and exists, creating it otherwise).
  static Result<std::unique_ptr<MemoryAuthKeyStore>> open(MemoryAuthKeyStoreOptions options);
  ~MemoryAuthKeyStore() override;

  std::shared_ptr<const StoredAuthKey> find(uint64_t auth_key_id) const override;
  Result<bool> insert(const StoredAuthKey& key) override;
  Status put(const StoredAuthKey& key) override;
  Result<bool> erase(uint64_t auth_key_id) override;
  Status bind_temp(uint64_t temp_id, uint64_t perm_id, int64_t expires_at) override;
  size_t erase_expired(int64_t now) override;
  size_t size() const override;

  // Rewrites the file with exactly the current permanent keys (atomic rename).
  Status compact();
  // Notes from open() (e.g. a dropped truncated record); empty when the file was clean.
  const std::vector<std::string>& load_notes() const { return load_notes_; }

 private:
  explicit MemoryAuthKeyStore(MemoryAuthKeyStoreOptions options);
  static constexpr size_t kShards = 16;
  // A shard's keys: a set of the shared keys, looked up by the id inside them (heterogeneous
  // lookup), so an entry costs one 24-byte node besides the key. Ids are SHA-1 bits: the id
  // is its own hash. Both functors are noexcept, so nodes do not cache the hash.
  using KeyPtr = std::shared_ptr<const StoredAuthKey>;
  struct ById {
    using is_transparent = void;
    static uint64_t id(uint64_t v) noexcept { return v; }
    static uint64_t id(const KeyPtr& k) noexcept { return k->id(); }
    size_t operator()(const auto& k) const noexcept { return size_t(id(k)); }
    bool operator()(const auto& a, const auto& b) const noexcept { return id(a) == id(b); }
  };
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_set<KeyPtr, ById, ById> keys;
  };
  // Adds `key`, replacing the one with its id if any (shard lock held).
  static void replace_locked(Shard& shard, KeyPtr key);
  Shard& shard(uint64_t id) const { return shards_[(id ^ (id >> 29)) % kShards]; }
  Status load();
  Status append_put(const StoredAuthKey& key);
  // insert (replace = false: an existing key stays) and put (replace = true): persists a
  // permanent key first, then stores it; true when the key was not there before.
  Result<bool> store(const StoredAuthKey& key, bool replace);
  Status append_erase(uint64_t id);
  Status append_record(const uint8_t* data, size_t size);
  Status rewrite_locked();

  MemoryAuthKeyStoreOptions options_;
  mutable std::array<Shard, kShards> shards_;
  std::mutex file_mu_;  // serializes appends and rewrites
  int fd_ = -1;
  std::atomic<size_t> size_unlocked_hint_{0};  // approximate count for the max_keys cap
  std::vector<std::string> load_notes_;
};

}  // namespace mtedge::mtproto
