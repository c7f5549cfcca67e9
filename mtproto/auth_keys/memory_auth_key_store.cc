// Lock order: file_mu_ before any shard lock (appends and rewrites must see a consistent set).
#include "mtproto/auth_keys/memory_auth_key_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace mtedge::mtproto {
namespace {

constexpr char kMagic[8] = {'M', 'T', 'E', 'D', 'G', 'E', 'A', 'K'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 16;
constexpr uint8_t kPut = 1;
constexpr uint8_t kErase = 2;
constexpr size_t kPutSize = 1 + 8 + 8 + 4 + AuthKey::kSize;  // without crc
constexpr size_t kEraseSize = 1 + 8;

void put_le64(uint8_t* p, uint64_t v) {
  store_le32(p, static_cast<uint32_t>(v));
  store_le32(p + 4, static_cast<uint32_t>(v >> 32));
}

uint32_t crc_of(const uint8_t* p, size_t n) {
  return static_cast<uint32_t>(crc32(0L, p, static_cast<uInt>(n)));
}

std::string errno_text() {
  return std::strerror(errno);
}

Status write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::error("auth key store: write failed: " + errno_text());
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::ok();
}

std::vector<uint8_t> encode_put(const StoredAuthKey& k) {
  std::vector<uint8_t> r(kPutSize + 4);
  r[0] = kPut;
  put_le64(&r[1], k.id());
  put_le64(&r[9], static_cast<uint64_t>(k.created_at));
  store_le32(&r[17], static_cast<uint32_t>(k.dc_id));
  std::memcpy(&r[21], k.key.data().data(), AuthKey::kSize);
  store_le32(&r[kPutSize], crc_of(r.data(), kPutSize));
  return r;
}

}  // namespace

MemoryAuthKeyStore::MemoryAuthKeyStore(MemoryAuthKeyStoreOptions options)
    : options_(std::move(options)) {
  // One key per client: as for per-connection maps, two entries per bucket on average
  // (buckets are 8 bytes each; at the default load of 1 they cost 8-16 bytes per key).
  for (Shard& shard : shards_) shard.keys.max_load_factor(2.0f);
}

MemoryAuthKeyStore::~MemoryAuthKeyStore() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<MemoryAuthKeyStore>> MemoryAuthKeyStore::open(
    MemoryAuthKeyStoreOptions options) {
  std::unique_ptr<MemoryAuthKeyStore> store(new MemoryAuthKeyStore(std::move(options)));
  if (!store->options_.path.empty()) {
    if (auto st = store->load(); !st) return st;
  }
  return store;
}

Status MemoryAuthKeyStore::load() {
  const std::string& path = options_.path;
  std::vector<uint8_t> data;
  int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (rfd < 0 && errno != ENOENT)
    return Status::error("auth key store: cannot open [path = " + path + "]: " + errno_text());
  bool needs_rewrite = rfd < 0;  // a new file gets its header through a rewrite
  if (rfd >= 0) {
    uint8_t buf[65536];
    while (true) {
      ssize_t n = ::read(rfd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::close(rfd);
        return Status::error("auth key store: read failed [path = " + path + "]: " + errno_text());
      }
      if (n == 0) break;
      data.insert(data.end(), buf, buf + n);
    }
    ::close(rfd);
    auto corrupt = [&](size_t offset, const std::string& why) {
      return Status::error("auth key store: corrupt file [path = " + path +
                           ", offset = " + std::to_string(offset) + "]: " + why);
    };
    if (data.size() < kHeaderSize || std::memcmp(data.data(), kMagic, 8) != 0)
      return corrupt(0, "bad magic (not an mtedge auth key file)");
    if (load_le32(&data[8]) != kVersion)
      return corrupt(8, "unsupported version " + std::to_string(load_le32(&data[8])));
    size_t pos = kHeaderSize;
    size_t records = 0;
    while (pos < data.size()) {
      uint8_t type = data[pos];
      size_t size = type == kPut ? kPutSize : type == kErase ? kEraseSize : 0;
      if (size == 0) return corrupt(pos, "unknown record type " + std::to_string(type));
      if (data.size() - pos < size + 4) {
        load_notes_.push_back("dropped a truncated final record at offset " + std::to_string(pos));
        needs_rewrite = true;
        break;
      }
      if (load_le32(&data[pos + size]) != crc_of(&data[pos], size))
        return corrupt(pos, "record checksum mismatch");
      uint64_t id = load_le64(&data[pos + 1]);
      if (type == kPut) {
        auto key = AuthKey::from_bytes({&data[pos + 21], AuthKey::kSize});
        if (!key || key->id() != id) return corrupt(pos, "auth key does not match its id");
        auto k = std::make_shared<StoredAuthKey>();
        k->key = *key;
        k->created_at = static_cast<int64_t>(load_le64(&data[pos + 9]));
        k->dc_id = static_cast<int32_t>(load_le32(&data[pos + 17]));
        replace_locked(shard(id), std::move(k));
      } else if (auto it = shard(id).keys.find(id); it != shard(id).keys.end()) {
        shard(id).keys.erase(it);
      }
      ++records;
      pos += size + 4;
    }
    if (records > 2 * size() + 64) needs_rewrite = true;  // mostly garbage: compact
  }
  size_unlocked_hint_ = size();
  std::lock_guard file_lock(file_mu_);
  if (needs_rewrite) return rewrite_locked();
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0)
    return Status::error("auth key store: cannot open for append [path = " + path +
                         "]: " + errno_text());
  ::fchmod(fd_, 0600);
  return Status::ok();
}

Status MemoryAuthKeyStore::rewrite_locked() {
  const std::string& path = options_.path;
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return Status::error("auth key store: cannot create [path = " + tmp + "]: " + errno_text());
  ::fchmod(fd, 0600);
  std::vector<uint8_t> out(kHeaderSize, 0);
  std::memcpy(out.data(), kMagic, 8);
  store_le32(&out[8], kVersion);
  for (auto& s : shards_) {
    std::shared_lock lock(s.mu);
    for (const KeyPtr& k : s.keys) {
      if (k->temp) continue;
      auto r = encode_put(*k);
      out.insert(out.end(), r.begin(), r.end());
    }
  }
  Status st = write_all(fd, out.data(), out.size());
  if (st && ::fsync(fd) != 0) st = Status::error("auth key store: fsync failed: " + errno_text());
  ::close(fd);
  if (st && ::rename(tmp.c_str(), path.c_str()) != 0)
    st = Status::error("auth key store: rename failed [path = " + path + "]: " + errno_text());
  if (!st) {
    ::unlink(tmp.c_str());
    return st;
  }
  // Make the rename durable.
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0)
    return Status::error("auth key store: cannot reopen [path = " + path + "]: " + errno_text());
  return Status::ok();
}

Status MemoryAuthKeyStore::compact() {
  if (options_.path.empty()) return Status::ok();
  std::lock_guard file_lock(file_mu_);
  return rewrite_locked();
}

Status MemoryAuthKeyStore::append_record(const uint8_t* data, size_t size) {
  if (fd_ < 0) return Status::error("auth key store: file not open");
  if (auto st = write_all(fd_, data, size); !st) return st;
  if (options_.sync_writes && ::fdatasync(fd_) != 0)
    return Status::error("auth key store: fdatasync failed: " + errno_text());
  return Status::ok();
}

Status MemoryAuthKeyStore::append_put(const StoredAuthKey& key) {
  auto r = encode_put(key);
  return append_record(r.data(), r.size());
}

Status MemoryAuthKeyStore::append_erase(uint64_t id) {
  uint8_t r[kEraseSize + 4];
  r[0] = kErase;
  put_le64(&r[1], id);
  store_le32(&r[kEraseSize], crc_of(r, kEraseSize));
  return append_record(r, sizeof r);
}

std::shared_ptr<const StoredAuthKey> MemoryAuthKeyStore::find(uint64_t auth_key_id) const {
  Shard& s = shard(auth_key_id);
  std::shared_lock lock(s.mu);
  auto it = s.keys.find(auth_key_id);
  return it == s.keys.end() ? nullptr : *it;
}

void MemoryAuthKeyStore::replace_locked(Shard& shard, KeyPtr key) {
  if (auto it = shard.keys.find(key->id()); it != shard.keys.end()) shard.keys.erase(it);
  shard.keys.insert(std::move(key));
}

Result<bool> MemoryAuthKeyStore::insert(const StoredAuthKey& key) {
  return store(key, /*replace=*/false);
}

Status MemoryAuthKeyStore::put(const StoredAuthKey& key) {
  Result<bool> stored = store(key, /*replace=*/true);
  return stored ? Status::ok() : stored.status();
}

Result<bool> MemoryAuthKeyStore::store(const StoredAuthKey& key, bool replace) {
  if (key.key.empty() || key.id() == 0) return Status::error("auth key store: empty key");
  bool persist = !key.temp && !options_.path.empty();
  std::unique_lock<std::mutex> file_lock(file_mu_, std::defer_lock);
  if (persist) file_lock.lock();
  Shard& s = shard(key.id());
  std::unique_lock lock(s.mu);
  bool exists = s.keys.contains(key.id());
  if (exists && !replace) return false;
  if (!exists && size_unlocked_hint_ >= options_.max_keys)
    return Status::error("auth key store: full");
  if (persist)
    if (auto st = append_put(key); !st) return st;
  replace_locked(s, std::make_shared<const StoredAuthKey>(key));
  if (!exists) ++size_unlocked_hint_;
  return !exists;
}

Result<bool> MemoryAuthKeyStore::erase(uint64_t auth_key_id) {
  std::unique_lock<std::mutex> file_lock(file_mu_, std::defer_lock);
  if (!options_.path.empty()) file_lock.lock();
  Shard& s = shard(auth_key_id);
  std::unique_lock lock(s.mu);
  auto it = s.keys.find(auth_key_id);
  if (it == s.keys.end()) return false;
  if (!(*it)->temp && !options_.path.empty())
    if (auto st = append_erase(auth_key_id); !st) return st;
  s.keys.erase(it);
  --size_unlocked_hint_;
  return true;
}

Status MemoryAuthKeyStore::bind_temp(uint64_t temp_id, uint64_t perm_id, int64_t expires_at) {
  auto perm = find(perm_id);
  if (!perm) return Status::error("auth key store: unknown permanent key");
  if (perm->temp) return Status::error("auth key store: bind target is a temp key");
  Shard& s = shard(temp_id);
  std::unique_lock lock(s.mu);
  auto it = s.keys.find(temp_id);
  if (it == s.keys.end()) return Status::error("auth key store: unknown temp key");
  if (!(*it)->temp) return Status::error("auth key store: not a temp key");
  auto updated = std::make_shared<StoredAuthKey>(**it);
  updated->bound_perm_id = perm_id;
  updated->expires_at = expires_at;
  s.keys.erase(it);
  s.keys.insert(std::move(updated));
  return Status::ok();
}

size_t MemoryAuthKeyStore::erase_expired(int64_t now) {
  size_t n = 0;
  for (auto& s : shards_) {
    std::unique_lock lock(s.mu);
    for (auto it = s.keys.begin(); it != s.keys.end();) {
      if ((*it)->temp && (*it)->expired(now)) {
        it = s.keys.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
  }
  size_unlocked_hint_ -= n;
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
