// In-memory AuthKeyStore sharded by auth_key_id, optionally persisted to a file.
//
// Persistence (format: mtproto/auth_keys/key_file.h; docs/mtproto.md "Key storage"): only
// permanent keys are written; temp keys live in memory. New permanent keys and erasures are
// appended to the file. open() loads it, skipping damaged or torn records with a note (see
// load_notes()), and rewrites it compactly when it held damage or mostly garbage; a running store
// compacts it too (background thread) once it holds more than 2 x live + 64 records.
//
// Durability contract (sync_writes = true):
//  - insert()/put() of a permanent key return true only after the key's record is on disk
//    (fdatasync). Concurrent inserts share one fdatasync (group commit): the first waiter syncs
//    for everyone whose record was written by then. No shard lock is held during file I/O, so
//    find() never waits for a disk.
//  - erase() appends its record and returns without syncing; the erasure is durable after the
//    next group commit or within sync_interval_ms (background syncer), or when the store closes.
//    A crash inside that window resurrects the key (its owner already dropped it, so at worst an
//    unused key stays in the file).
//  - A key is visible to find() from the moment its record is written, before insert() returns
//    (no client can know it yet: dh_gen_ok is sent after insert() returns).
//  - A rewrite (compaction) holds the file mutex while it writes the whole file: permanent
//    inserts and erasures wait for it, finds do not.
//  - A failed or partial append is cut back to the last whole record (ftruncate); the key is then
//    not stored and the caller gets the error. If the cut itself fails, the next append rewrites
//    the whole file first. SIGXFSZ is ignored once a store with a file is opened, so a file size
//    limit is an EFBIG error, never a kill.
//
// Capacity: at max_keys the store first drops expired temp keys, then evicts the least recently
// used temp keys (about 1/1024 of max_keys at a time, at least one); permanent keys are never
// evicted, and when only they remain a new key is refused ("full").
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mtproto/auth_keys/auth_key_store.h"

namespace mtedge::mtproto {

struct MemoryAuthKeyStoreOptions {
  std::string path;                  // empty: memory only
  bool sync_writes = true;           // fdatasync (group commit) before a new key is reported stored
  size_t max_keys = 10'000'000;      // memory bound; see "Capacity" above
  uint32_t sync_interval_ms = 1000;  // background syncer period (erasures, online compaction)
  std::function<void()> on_sync;     // called before each fdatasync of appended records (tests)
};

class MemoryAuthKeyStore final : public AuthKeyStore {
 public:
  // Opens (loading the file if `options.path` is set and exists, creating it and its missing
  // directories, mode 0700, otherwise).
  static Result<std::unique_ptr<MemoryAuthKeyStore>> open(MemoryAuthKeyStoreOptions options);
  // Stops the syncer and makes every appended record durable.
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
  // Notes from open() (e.g. a skipped damaged record); empty when the file was clean.
  const std::vector<std::string>& load_notes() const { return load_notes_; }
  Counters counters() const override {
    return {evicted_.load(std::memory_order_relaxed),
            refused_full_.load(std::memory_order_relaxed)};
  }

 private:
  explicit MemoryAuthKeyStore(MemoryAuthKeyStoreOptions options);
  static constexpr size_t kShards = 16;
  // A stored key and when it was last found (a store-wide use counter, for LRU eviction).
  struct Entry {
    explicit Entry(const StoredAuthKey& k) : key(k) {}
    StoredAuthKey key;
    mutable std::atomic<uint64_t> last_used{0};
  };
  // A shard's keys: a set of the shared entries, looked up by the id inside them (heterogeneous
  // lookup). Ids are SHA-1 bits: the id is its own hash. Both functors are noexcept, so nodes do
  // not cache the hash.
  using EntryPtr = std::shared_ptr<Entry>;
  struct ById {
    using is_transparent = void;
    static uint64_t id(uint64_t v) noexcept { return v; }
    static uint64_t id(const EntryPtr& e) noexcept { return e->key.id(); }
    size_t operator()(const auto& k) const noexcept { return size_t(id(k)); }
    bool operator()(const auto& a, const auto& b) const noexcept { return id(a) == id(b); }
  };
  struct Shard {
    mutable std::shared_mutex mu;
    std::unordered_set<EntryPtr, ById, ById> keys;
  };
  // How store() placed an entry: `placed` false means an existing key stayed (insert).
  struct Placement {
    bool placed = false;
    EntryPtr previous;  // the entry it replaced (put), if any
  };

  Shard& shard(uint64_t id) const { return shards_[(id ^ (id >> 29)) % kShards]; }
  void touch(const Entry& e) const;
  Status load();
  Result<bool> store(const StoredAuthKey& key, bool replace);
  // Puts `entry` into its shard (or leaves an existing key when !replace). Fails when full.
  Result<Placement> place(const EntryPtr& entry, bool replace);
  // Undoes place() after a persistence failure, unless the key changed since.
  void unplace(const EntryPtr& entry, const Placement& placement);
  // Frees room at max_keys: expired temp keys first, then least recently used temp keys.
  void make_room();

  // Persistence (file_mu_ held unless noted).
  Status append_locked(ByteView record);
  Status rewrite_locked();
  Bytes snapshot_locked() const;
  // Returns once every record up to `seq` is durable (group commit; no lock held).
  Status wait_durable(uint64_t seq);
  // One fdatasync covering every record written so far (no lock held).
  void sync_once();
  // sync_once() as the one thread syncing (`lock` holds sync_mu_ and !syncing_), waking waiters.
  void lead_sync(std::unique_lock<std::mutex>& lock);
  Status refused_full(Status status);
  void syncer_loop();

  MemoryAuthKeyStoreOptions options_;
  mutable std::array<Shard, kShards> shards_;
  std::atomic<size_t> size_{0};
  mutable std::atomic<uint64_t> use_clock_{0};
  std::atomic<uint64_t> evicted_{0};
  std::atomic<uint64_t> refused_full_{0};
  std::vector<std::string> load_notes_;

  // Lock order: file_mu_ before any shard lock; sync_mu_ is never held while taking another.
  std::mutex file_mu_;  // fd_, file counters, and the order of records relative to memory
  int fd_ = -1;
  int lock_fd_ = -1;           // holds `path`.lock (key_file::lock_exclusive) while the store lives
  uint64_t file_size_ = 0;     // bytes up to the end of the last whole record
  size_t file_records_ = 0;    // records in the file (for the compaction rule)
  size_t live_permanent_ = 0;  // permanent keys in memory
  bool needs_rewrite_ = false;  // a rollback failed: rewrite before the next append
  uint64_t written_seq_ = 0;    // records appended so far (a rewrite counts as one)

  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  uint64_t synced_seq_ = 0;                                  // records known durable
  bool syncing_ = false;                                     // a thread is inside fdatasync
  std::vector<std::pair<uint64_t, uint64_t>> failed_syncs_;  // (from, to] whose sync failed
  std::condition_variable stop_cv_;                          // wakes the syncer to stop
  bool stopping_ = false;
  std::thread syncer_;
};

}  // namespace mtedge::mtproto
