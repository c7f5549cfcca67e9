#include "mtproto/auth_keys/memory_auth_key_store.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>

#include "crypto/secret_bytes.h"
#include "files/durable_file.h"
#include "mtproto/auth_keys/key_file.h"

namespace mtedge::mtproto {
namespace {

// A file primitive's error, named as the store's.
Status tagged(Status status) {
  return status ? status : Status::error("auth key store: " + status.message());
}

// Wipes a buffer that held key bytes.
void wipe(Bytes& bytes) {
  crypto::wipe(bytes.data(), bytes.size());
  bytes.clear();
}

}  // namespace

MemoryAuthKeyStore::MemoryAuthKeyStore(MemoryAuthKeyStoreOptions options)
    : options_(std::move(options)) {
  // One key per client: as for per-connection maps, two entries per bucket on average
  // (buckets are 8 bytes each; at the default load of 1 they cost 8-16 bytes per key).
  for (Shard& shard : shards_) shard.keys.max_load_factor(2.0f);
}

MemoryAuthKeyStore::~MemoryAuthKeyStore() {
  if (syncer_.joinable()) {
    {
      std::lock_guard lock(sync_mu_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    syncer_.join();
  }
  if (fd_ >= 0) {
    if (options_.sync_writes) sync_once();
    ::close(fd_);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the file to the next process
}

Result<std::unique_ptr<MemoryAuthKeyStore>> MemoryAuthKeyStore::open(
    MemoryAuthKeyStoreOptions options) {
  std::unique_ptr<MemoryAuthKeyStore> store(new MemoryAuthKeyStore(std::move(options)));
  if (!store->options_.path.empty()) {
    files::ignore_file_size_signal();
    if (auto st = store->load(); !st) return st;
    store->syncer_ = std::thread([s = store.get()] { s->syncer_loop(); });
  }
  return store;
}

Status MemoryAuthKeyStore::load() {
  const std::string& path = options_.path;
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (!dir.empty())
    if (auto st = files::create_private_directories(dir); !st) return tagged(std::move(st));
  auto lock = files::hold_lock_file(path);
  if (!lock) {
    return tagged(Status::error(lock.message() + "; never run two mtedge processes on one auth "
                                                 "key file"));
  }
  lock_fd_ = lock.value();
  Bytes image;
  bool exists = false;
  Status read = tagged(files::read_whole_file(path, image, exists));
  if (!read) {
    wipe(image);
    return read;
  }
  key_file::ParseReport report;
  if (exists) {
    Status parsed = key_file::parse(
        image,
        [&](const key_file::Record& r) {
          Shard& s = shard(r.id);
          if (auto it = s.keys.find(r.id); it != s.keys.end()) s.keys.erase(it);
          if (!r.put) return;
          StoredAuthKey k;
          k.key = AuthKey(std::span<const uint8_t, AuthKey::kSize>(r.key, AuthKey::kSize));
          k.created_at = r.created_at;
          k.dc_id = r.dc_id;
          s.keys.insert(std::make_shared<Entry>(k));
        },
        report);
    wipe(image);
    if (!parsed)
      return Status::error("auth key store: corrupt file [path = " + path +
                           "]: " + parsed.message());
    load_notes_ = std::move(report.notes);
  }
  size_ = size();
  std::lock_guard file_lock(file_mu_);
  live_permanent_ = size_;
  file_records_ = report.records;
  if (!exists || report.skipped_bytes > 0 || file_records_ > 2 * live_permanent_ + 64)
    return rewrite_locked();
  auto fd = files::open_for_append(path);
  if (!fd) return tagged(fd.status());
  fd_ = fd.value();
  file_size_ = std::filesystem::file_size(path);
  return Status::ok();
}

Bytes MemoryAuthKeyStore::snapshot_locked() const {
  Bytes out = key_file::header();
  for (auto& s : shards_) {
    std::shared_lock lock(s.mu);
    for (const EntryPtr& e : s.keys)
      if (!e->key.temp) key_file::append_put(e->key, out);
  }
  return out;
}

Status MemoryAuthKeyStore::rewrite_locked() {
  Bytes image = snapshot_locked();
  Status st = tagged(files::replace_file(options_.path, image));
  const size_t records = (image.size() - key_file::kHeaderSize) / key_file::kPutRecordSize;
  const uint64_t size = image.size();
  wipe(image);
  if (!st) return st;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  auto fd = files::open_for_append(options_.path);
  if (!fd) return tagged(fd.status());
  fd_ = fd.value();
  file_size_ = size;
  file_records_ = records;
  needs_rewrite_ = false;
  // The rewrite was fsynced: everything written before it is durable.
  const uint64_t seq = ++written_seq_;
  {
    std::lock_guard lock(sync_mu_);
    synced_seq_ = std::max(synced_seq_, seq);
  }
  sync_cv_.notify_all();
  return Status::ok();
}

Status MemoryAuthKeyStore::compact() {
  if (options_.path.empty()) return Status::ok();
  std::lock_guard file_lock(file_mu_);
  return rewrite_locked();
}

Status MemoryAuthKeyStore::append_locked(ByteView record) {
  // After a failed rollback, fsync or reopen: the snapshot already holds this change.
  if (needs_rewrite_ || fd_ < 0) return rewrite_locked();
  bool rolled_back = true;
  Status st = tagged(files::append_whole(fd_, record, file_size_, rolled_back));
  if (!st) {
    needs_rewrite_ = !rolled_back;
    return st;
  }
  file_size_ += record.size();
  ++file_records_;
  ++written_seq_;
  return Status::ok();
}

void MemoryAuthKeyStore::sync_once() {
  uint64_t target = 0;
  int fd = -1;
  {
    std::lock_guard file_lock(file_mu_);
    target = written_seq_;
    if (fd_ >= 0) fd = ::dup(fd_);  // a rewrite may replace fd_ meanwhile
  }
  uint64_t from = 0;
  {
    std::lock_guard lock(sync_mu_);
    from = synced_seq_;
  }
  bool ok = true;
  if (target > from && fd >= 0) {
    if (options_.on_sync) options_.on_sync();
    ok = files::sync_data(fd).is_ok();
  }
  if (fd >= 0) ::close(fd);
  if (fd < 0 && target > from) ok = false;
  if (target <= from) return;
  if (!ok) {
    // The kernel may have dropped the dirty pages: rebuild the file before the next append.
    std::lock_guard file_lock(file_mu_);
    needs_rewrite_ = true;
  }
  std::lock_guard lock(sync_mu_);
  if (!ok) failed_syncs_.emplace_back(from, target);
  synced_seq_ = std::max(synced_seq_, target);
}

void MemoryAuthKeyStore::lead_sync(std::unique_lock<std::mutex>& lock) {
  syncing_ = true;
  lock.unlock();
  sync_once();
  lock.lock();
  syncing_ = false;
  sync_cv_.notify_all();
}

Status MemoryAuthKeyStore::wait_durable(uint64_t seq) {
  if (!options_.sync_writes) return Status::ok();
  std::unique_lock lock(sync_mu_);
  while (synced_seq_ < seq) {
    if (syncing_) {
      sync_cv_.wait(lock);
      continue;
    }
    lead_sync(lock);  // one group commit for everyone waiting now
  }
  for (const auto& [from, to] : failed_syncs_)
    if (seq > from && seq <= to) return Status::error("auth key store: fdatasync failed");
  return Status::ok();
}

void MemoryAuthKeyStore::syncer_loop() {
  const auto period = std::chrono::milliseconds(std::max<uint32_t>(1, options_.sync_interval_ms));
  std::unique_lock lock(sync_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    {
      // Online compaction: the file holds mostly erased keys.
      std::lock_guard file_lock(file_mu_);
      if (fd_ >= 0 && file_records_ > 2 * live_permanent_ + 64) (void)rewrite_locked();
    }
    lock.lock();
    if (options_.sync_writes && !syncing_) lead_sync(lock);
  }
}

void MemoryAuthKeyStore::touch(const Entry& e) const {
  e.last_used.store(use_clock_.fetch_add(1, std::memory_order_relaxed) + 1,
                    std::memory_order_relaxed);
}

std::shared_ptr<const StoredAuthKey> MemoryAuthKeyStore::find(uint64_t auth_key_id) const {
  Shard& s = shard(auth_key_id);
  std::shared_lock lock(s.mu);
  auto it = s.keys.find(auth_key_id);
  if (it == s.keys.end()) return nullptr;
  touch(**it);
  return std::shared_ptr<const StoredAuthKey>(*it, &(*it)->key);
}

Result<bool> MemoryAuthKeyStore::insert(const StoredAuthKey& key) {
  return store(key, /*replace=*/false);
}

Status MemoryAuthKeyStore::put(const StoredAuthKey& key) {
  Result<bool> stored = store(key, /*replace=*/true);
  return stored ? Status::ok() : stored.status();
}

void MemoryAuthKeyStore::make_room() {
  if (size_.load() < options_.max_keys) return;
  size_t freed = erase_expired(static_cast<int64_t>(std::time(nullptr)));
  if (freed == 0) {
    // Least recently used temp keys, a batch at a time so a full store does not scan per key.
    std::vector<std::pair<uint64_t, uint64_t>> temps;  // (last_used, id)
    for (auto& s : shards_) {
      std::shared_lock lock(s.mu);
      for (const EntryPtr& e : s.keys)
        if (e->key.temp)
          temps.emplace_back(e->last_used.load(std::memory_order_relaxed), e->key.id());
    }
    const size_t batch = std::min(temps.size(), std::max<size_t>(1, options_.max_keys / 1024));
    if (batch > 0)
      std::nth_element(temps.begin(), temps.begin() + static_cast<ptrdiff_t>(batch - 1),
                       temps.end());
    for (size_t i = 0; i < batch; ++i) {
      Shard& s = shard(temps[i].second);
      std::unique_lock lock(s.mu);
      auto it = s.keys.find(temps[i].second);
      if (it == s.keys.end() || !(*it)->key.temp) continue;
      s.keys.erase(it);
      --size_;
      ++freed;
    }
  }
  evicted_ += freed;
}

Result<MemoryAuthKeyStore::Placement> MemoryAuthKeyStore::place(const EntryPtr& entry,
                                                                bool replace) {
  Shard& s = shard(entry->key.id());
  std::unique_lock lock(s.mu);
  Placement placement;
  auto it = s.keys.find(entry->key.id());
  if (it != s.keys.end()) {
    if (!replace) return placement;
    placement.previous = *it;
    s.keys.erase(it);
  } else if (size_.load() >= options_.max_keys) {
    return Status::error("auth key store: full (max_keys permanent keys)");
  } else {
    ++size_;
  }
  s.keys.insert(entry);
  placement.placed = true;
  return placement;
}

void MemoryAuthKeyStore::unplace(const EntryPtr& entry, const Placement& placement) {
  Shard& s = shard(entry->key.id());
  std::unique_lock lock(s.mu);
  auto it = s.keys.find(entry->key.id());
  if (it == s.keys.end() || *it != entry) return;
  s.keys.erase(it);
  if (placement.previous) {
    s.keys.insert(placement.previous);
  } else {
    --size_;
  }
}

Status MemoryAuthKeyStore::refused_full(Status status) {
  ++refused_full_;  // place() fails only at capacity
  return status;
}

Result<bool> MemoryAuthKeyStore::store(const StoredAuthKey& key, bool replace) {
  if (key.key.empty() || key.id() == 0) return Status::error("auth key store: empty key");
  auto entry = std::make_shared<Entry>(key);
  touch(*entry);
  make_room();
  if (key.temp || options_.path.empty()) {
    auto placed = place(entry, replace);
    if (!placed) return refused_full(placed.status());
    return placed->placed && !placed->previous;
  }
  uint64_t seq = 0;
  Placement placement;
  bool counted = false;  // a new permanent key for the compaction rule
  {
    std::lock_guard file_lock(file_mu_);
    auto placed = place(entry, replace);
    if (!placed) return refused_full(placed.status());
    placement = placed.value();
    if (!placement.placed) return false;
    Bytes record;
    key_file::append_put(key, record);
    Status st = append_locked(record);
    wipe(record);
    if (!st) {
      unplace(entry, placement);
      return st;
    }
    counted = !placement.previous || placement.previous->key.temp;
    if (counted) ++live_permanent_;
    seq = written_seq_;
  }
  // Group commit, without any lock: other inserts append meanwhile and share the sync.
  if (Status st = wait_durable(seq); !st) {
    std::lock_guard file_lock(file_mu_);
    unplace(entry, placement);
    if (counted) --live_permanent_;
    return st;
  }
  return !placement.previous;
}

Result<bool> MemoryAuthKeyStore::erase(uint64_t auth_key_id) {
  const bool persisted = !options_.path.empty();
  std::unique_lock<std::mutex> file_lock(file_mu_, std::defer_lock);
  if (persisted) file_lock.lock();
  EntryPtr erased;
  {
    Shard& s = shard(auth_key_id);
    std::unique_lock lock(s.mu);
    auto it = s.keys.find(auth_key_id);
    if (it == s.keys.end()) return false;
    erased = *it;
    s.keys.erase(it);
    --size_;
  }
  if (!persisted || erased->key.temp) return true;
  Bytes record;
  key_file::append_erase(auth_key_id, record);
  if (Status st = append_locked(record); !st) {
    (void)place(erased, /*replace=*/false);  // the file still has the key: so does memory
    return st;
  }
  --live_permanent_;
  return true;  // durable at the next group commit or syncer pass (see the header)
}

Status MemoryAuthKeyStore::bind_temp(uint64_t temp_id, uint64_t perm_id, int64_t expires_at) {
  auto perm = find(perm_id);
  if (!perm) return Status::error("auth key store: unknown permanent key");
  if (perm->temp) return Status::error("auth key store: bind target is a temp key");
  Shard& s = shard(temp_id);
  std::unique_lock lock(s.mu);
  auto it = s.keys.find(temp_id);
  if (it == s.keys.end()) return Status::error("auth key store: unknown temp key");
  if (!(*it)->key.temp) return Status::error("auth key store: not a temp key");
  auto updated = std::make_shared<Entry>((*it)->key);
  updated->key.bound_perm_id = perm_id;
  updated->key.expires_at = expires_at;
  updated->last_used.store((*it)->last_used.load());
  s.keys.erase(it);
  s.keys.insert(std::move(updated));
  return Status::ok();
}

size_t MemoryAuthKeyStore::erase_expired(int64_t now) {
  size_t n = 0;
  for (auto& s : shards_) {
    std::unique_lock lock(s.mu);
    for (auto it = s.keys.begin(); it != s.keys.end();) {
      if ((*it)->key.temp && (*it)->key.expired(now)) {
        it = s.keys.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
  }
  size_ -= n;
  return n;
}

size_t MemoryAuthKeyStore::size() const {
  size_t n = 0;
  for (auto& s : shards_) {
    std::shared_lock lock(s.mu);
    n += s.keys.size();
  }
  return n;
}

}  // namespace mtedge::mtproto
