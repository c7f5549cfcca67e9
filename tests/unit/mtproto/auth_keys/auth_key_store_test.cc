// MemoryAuthKeyStore: operations, persistence round trip, damaged files, I/O faults, group
// commit, expiry and eviction, destroy_auth_key.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <latch>
#include <set>
#include <thread>

#include "crypto/random.h"
#include "mtproto/auth_keys/destroy_auth_key.h"
#include "mtproto/auth_keys/key_file.h"
#include "mtproto/auth_keys/memory_auth_key_store.h"
#include "tests/support/temp_files.h"

namespace mtedge::mtproto {
namespace {

using test::FileSizeLimit;
using test::read_file;
using test::TempDir;
using test::write_file;

StoredAuthKey random_key(bool temp = false) {
  std::array<uint8_t, 256> data;
  crypto::random_bytes(data);
  StoredAuthKey k;
  k.key = AuthKey(data);
  k.temp = temp;
  k.created_at = 1700000000;
  k.dc_id = 2;
  return k;
}

// The keys a file holds, read as a restarted process would, while the store that writes it
// is still open (and holds its lock).
size_t keys_in_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Bytes image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::set<uint64_t> ids;
  key_file::ParseReport report;
  EXPECT_TRUE(key_file::parse(
                  image,
                  [&](const key_file::Record& r) {
                    if (r.put) {
                      ids.insert(r.id);
                    } else {
                      ids.erase(r.id);
                    }
                  },
                  report)
                  .is_ok());
  return ids.size();
}

std::unique_ptr<MemoryAuthKeyStore> open_store(const std::string& path) {
  auto s = MemoryAuthKeyStore::open({.path = path});
  EXPECT_TRUE(s.is_ok()) << (s ? "" : s.message());
  return s ? std::move(s).value() : nullptr;
}

TEST(AuthKeyStore, PutFindErase) {
  auto store = MemoryAuthKeyStore::open({}).value();
  auto k = random_key();
  EXPECT_EQ(store->find(k.id()), nullptr);
  auto ins = store->insert(k);
  ASSERT_TRUE(ins.is_ok());
  EXPECT_TRUE(ins.value());
  EXPECT_FALSE(store->insert(k).value());  // collision
  auto found = store->find(k.id());
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->key.data(), k.key.data());
  EXPECT_EQ(found->dc_id, 2);
  EXPECT_EQ(store->size(), 1u);
  k.dc_id = 4;
  ASSERT_TRUE(store->put(k).is_ok());
  EXPECT_EQ(store->find(k.id())->dc_id, 4);
  EXPECT_EQ(store->size(), 1u);
  EXPECT_TRUE(store->erase(k.id()).value());
  EXPECT_FALSE(store->erase(k.id()).value());
  EXPECT_EQ(store->find(k.id()), nullptr);
  StoredAuthKey empty;
  EXPECT_FALSE(store->insert(empty).is_ok());
}

TEST(AuthKeyStore, TempKeysBindAndExpire) {
  auto store = MemoryAuthKeyStore::open({}).value();
  auto perm = random_key();
  auto temp = random_key(true);
  temp.expires_at = 1000;
  ASSERT_TRUE(store->insert(perm).value());
  ASSERT_TRUE(store->insert(temp).value());
  EXPECT_TRUE(store->bind_temp(temp.id(), perm.id(), 2000).is_ok());
  EXPECT_EQ(store->find(temp.id())->bound_perm_id, perm.id());
  EXPECT_EQ(store->find(temp.id())->expires_at, 2000);
  EXPECT_FALSE(store->bind_temp(perm.id(), temp.id(), 2000).is_ok());  // reversed
  EXPECT_FALSE(store->bind_temp(temp.id(), 12345, 2000).is_ok());      // unknown perm
  EXPECT_FALSE(store->bind_temp(54321, perm.id(), 2000).is_ok());      // unknown temp
  EXPECT_FALSE(store->find(temp.id())->expired(1999));
  EXPECT_TRUE(store->find(temp.id())->expired(2000));
  EXPECT_EQ(store->erase_expired(1999), 0u);
  EXPECT_EQ(store->erase_expired(2000), 1u);
  EXPECT_EQ(store->find(temp.id()), nullptr);
  EXPECT_NE(store->find(perm.id()), nullptr);
}

TEST(AuthKeyStore, PersistenceRoundTrip) {
  TempDir dir;
  std::string path = dir.file("keys.bin");
  std::vector<StoredAuthKey> keys;
  StoredAuthKey temp = random_key(true);
  {
    auto store = open_store(path);
    for (int i = 0; i < 20; ++i) {
      keys.push_back(random_key());
      ASSERT_TRUE(store->insert(keys.back()).value());
    }
    ASSERT_TRUE(store->insert(temp).value());
    ASSERT_TRUE(store->erase(keys[3].id()).value());
  }
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    auto store = open_store(path);
    EXPECT_TRUE(store->load_notes().empty());
    EXPECT_EQ(store->size(), 19u);  // temp keys are not persisted; key 3 erased
    EXPECT_EQ(store->find(temp.id()), nullptr);
    EXPECT_EQ(store->find(keys[3].id()), nullptr);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i == 3) continue;
      auto k = store->find(keys[i].id());
      ASSERT_NE(k, nullptr);
      EXPECT_EQ(k->key.data(), keys[i].key.data());
      EXPECT_EQ(k->created_at, keys[i].created_at);
      EXPECT_EQ(k->dc_id, 2);
    }
    ASSERT_TRUE(store->compact().is_ok());
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  }
  EXPECT_EQ(std::filesystem::file_size(path), 16u + 19 * 281);
  EXPECT_EQ(open_store(path)->size(), 19u);
}

TEST(AuthKeyStore, CorruptedFilesAreRejected) {
  TempDir dir;
  std::string path = dir.file("keys.bin");
  {
    auto store = open_store(path);
    ASSERT_TRUE(store->insert(random_key()).value());
    ASSERT_TRUE(store->insert(random_key()).value());
  }
  std::vector<char> good;
  {
    std::ifstream in(path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::vector<char>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  };
  auto expect_rejected = [&](const std::vector<char>& bytes, const char* what) {
    write(bytes);
    auto s = MemoryAuthKeyStore::open({.path = path});
    ASSERT_FALSE(s.is_ok()) << what;
    EXPECT_NE(s.message().find("corrupt"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  };
  auto bad = good;
  bad[0] = 'X';
  expect_rejected(bad, "magic");
  bad = good;
  bad[8] = 9;
  expect_rejected(bad, "version");
  expect_rejected(std::vector<char>(good.begin(), good.begin() + 5), "short header");

  // A torn final record (crash during an append) is dropped, with a note, and the file fixed.
  auto torn = good;
  torn.resize(good.size() - 10);
  write(torn);
  auto s = MemoryAuthKeyStore::open({.path = path});
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(s.value()->size(), 1u);
  EXPECT_EQ(s.value()->load_notes().size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(path), 16u + 281);
}

// A write that fails part-way (here EFBIG from RLIMIT_FSIZE) leaves no garbage: the file is cut
// back to the last whole record, so later appends stay readable and the next start loads.
TEST(AuthKeyStore, PartialAppendIsRolledBack) {
  TempDir dir;
  std::string path = dir.file("keys.bin");
  std::signal(SIGXFSZ, SIG_IGN);
  auto store = open_store(path);
  auto k1 = random_key(), k2 = random_key(), k3 = random_key();
  ASSERT_TRUE(store->insert(k1).value());
  ASSERT_EQ(std::filesystem::file_size(path), 16u + 281);
  {
    FileSizeLimit limit(16 + 281 + 100);
    EXPECT_TRUE(limit.ok());
    auto r = store->insert(k2);
    EXPECT_FALSE(r.is_ok());
  }
  EXPECT_EQ(store->find(k2.id()), nullptr);  // a key that was not persisted is not kept
  EXPECT_EQ(std::filesystem::file_size(path), 16u + 281);
  ASSERT_TRUE(store->insert(k3).value());
  store.reset();
  auto reopened = open_store(path);
  ASSERT_NE(reopened, nullptr);
  EXPECT_TRUE(reopened->load_notes().empty());
  EXPECT_NE(reopened->find(k1.id()), nullptr);
  EXPECT_EQ(reopened->find(k2.id()), nullptr);
  EXPECT_NE(reopened->find(k3.id()), nullptr);
}

// With the default SIGXFSZ disposition a write past RLIMIT_FSIZE kills the process; the store
// must turn it into an insert error instead.
TEST(AuthKeyStore, FileSizeLimitDoesNotKillTheProcess) {
  TempDir dir;
  std::string path = dir.file("keys.bin");
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::signal(SIGXFSZ, SIG_DFL);
    auto store = MemoryAuthKeyStore::open({.path = path});
    if (!store) ::_exit(2);
    if (!store.value()->insert(random_key()).is_ok()) ::_exit(3);
    rlimit r{};
    ::getrlimit(RLIMIT_FSIZE, &r);
    r.rlim_cur = 16 + 281 + 10;
    ::setrlimit(RLIMIT_FSIZE, &r);
    auto failed = store.value()->insert(random_key());
    ::_exit(failed.is_ok() ? 4 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// A damaged record inside the file (a torn append followed by later appends, or flipped bits)
// is skipped with a note; loading resumes at the next valid record.
TEST(AuthKeyStore, DamagedRecordInTheMiddleIsSkipped) {
  TempDir dir;
  std::string path = dir.file("keys.bin");
  std::vector<StoredAuthKey> keys;
  {
    auto store = open_store(path);
    for (int i = 0; i < 3; ++i) {
      keys.push_back(random_key());
      ASSERT_TRUE(store->insert(keys.back()).value());
    }
  }
  std::vector<char> good = read_file(path);
  ASSERT_EQ(good.size(), 16u + 3 * 281);
  // Record 2 torn after 100 bytes, record 3 right after it.
  std::vector<char> torn(good.begin(), good.begin() + 16 + 281 + 100);
  torn.insert(torn.end(), good.begin() + 16 + 2 * 281, good.end());
  write_file(path, torn);
  {
    auto s = MemoryAuthKeyStore::open({.path = path});
    ASSERT_TRUE(s.is_ok()) << s.message();
    EXPECT_EQ(s.value()->size(), 2u);
    EXPECT_NE(s.value()->find(keys[0].id()), nullptr);
    EXPECT_EQ(s.value()->find(keys[1].id()), nullptr);
    EXPECT_NE(s.value()->find(keys[2].id()), nullptr);
    ASSERT_EQ(s.value()->load_notes().size(), 1u);
    EXPECT_NE(s.value()->load_notes()[0].find("offset 297"), std::string::npos)
        << s.value()->load_notes()[0];
  }
  EXPECT_EQ(std::filesystem::file_size(path), 16u + 2 * 281);  // rewritten without the damage
  // A flipped bit in a key and an unknown record type are skipped the same way.
  for (size_t offset : {size_t{16 + 281 + 100}, size_t{16 + 281}}) {
    auto bad = good;
    bad[offset] ^= 0x40;
    write_file(path, bad);
    auto s = MemoryAuthKeyStore::open({.path = path});
    ASSERT_TRUE(s.is_ok()) << s.message();
    EXPECT_EQ(s.value()->size(), 2u);
    EXPECT_EQ(s.value()->load_notes().size(), 1u);
  }
}

// The rewrite's temporary file is never followed through a symlink planted at its path.
TEST(AuthKeyStore, TemporaryFileSymlinkIsNotFollowed) {
  TempDir dir;
  std::string path = dir.file("keys.bin");
  std::string victim = dir.file("victim");
  write_file(victim, {'k', 'e', 'e', 'p'});
  ASSERT_EQ(::symlink(victim.c_str(), (path + ".tmp").c_str()), 0);
  auto store = open_store(path);  // a new file is written through a rewrite
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(read_file(victim), (std::vector<char>{'k', 'e', 'e', 'p'}));
  EXPECT_FALSE(std::filesystem::is_symlink(path));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path + ".tmp")));
}

// A missing directory is created, readable by the owner only.
TEST(AuthKeyStore, MissingDirectoryIsCreatedPrivate) {
  TempDir dir;
  std::string path = dir.file("a/b/keys.bin");
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  struct stat st;
  ASSERT_EQ(::stat(dir.file("a/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(dir.file("a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

// Concurrent inserts of permanent keys share fdatasync calls (group commit), and every key is
// durable when insert() returns.
TEST(AuthKeyStore, ConcurrentInsertsShareSyncs) {
  TempDir dir;
  std::string path = dir.file("keys.bin");
  std::atomic<int> syncs{0};
  auto store =
      MemoryAuthKeyStore::open({.path = path,
                                .on_sync =
                                    [&] {
                                      ++syncs;
                                      std::this_thread::sleep_for(std::chrono::milliseconds(5));
                                    }})
          .value();
  const int before = syncs.load();
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) ASSERT_TRUE(store->insert(random_key()).value());
    });
  for (auto& t : threads) t.join();
  EXPECT_LT(syncs.load() - before, 80);
  EXPECT_GE(syncs.load() - before, 10);
  EXPECT_EQ(keys_in_file(path), 80u);
}

// No shard lock is held while the file is synced: finds and temp-key inserts proceed while a
// permanent insert waits for its fdatasync; erase never syncs on the calling thread.
TEST(AuthKeyStore, SyncDoesNotBlockLookupsOrErase) {
  TempDir dir;
  std::string path = dir.file("keys.bin");
  std::latch release(1);
  std::atomic<bool> block{false};
  std::mutex threads_mu;
  std::vector<std::thread::id> sync_threads;
  auto store = MemoryAuthKeyStore::open({.path = path,
                                         .on_sync =
                                             [&] {
                                               {
                                                 std::lock_guard lock(threads_mu);
                                                 sync_threads.push_back(std::this_thread::get_id());
                                               }
                                               if (block) release.wait();
                                             }})
                   .value();
  std::vector<StoredAuthKey> keys;
  for (int i = 0; i < 64; ++i) {
    keys.push_back(random_key());
    ASSERT_TRUE(store->insert(keys.back()).value());
  }
  block = true;
  std::thread writer([&] { EXPECT_TRUE(store->insert(random_key()).value()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (const auto& k : keys) EXPECT_NE(store->find(k.id()), nullptr);  // every shard
  for (int i = 0; i < 32; ++i) EXPECT_TRUE(store->insert(random_key(true)).value());
  {
    std::lock_guard lock(threads_mu);
    sync_threads.clear();
  }
  EXPECT_TRUE(store->erase(keys[0].id()).value());
  {
    std::lock_guard lock(threads_mu);
    for (auto id : sync_threads) EXPECT_NE(id, std::this_thread::get_id());
  }
  release.count_down();
  writer.join();
  store.reset();  // the erasure is durable once the store is closed
  auto reopened = open_store(path);
  EXPECT_EQ(reopened->find(keys[0].id()), nullptr);
  EXPECT_EQ(reopened->size(), 64u);
}

// A full store first drops expired temp keys, then the least recently used temp keys; it
// refuses only when every key is permanent.
TEST(AuthKeyStore, FullStoreEvictsTempKeysFirst) {
  auto store = MemoryAuthKeyStore::open({.max_keys = 3}).value();
  auto perm = random_key();
  auto old_temp = random_key(true), used_temp = random_key(true), expired = random_key(true);
  old_temp.expires_at = used_temp.expires_at = 4'000'000'000;
  expired.expires_at = 1000;  // long past
  ASSERT_TRUE(store->insert(perm).value());
  ASSERT_TRUE(store->insert(expired).value());
  ASSERT_TRUE(store->insert(old_temp).value());
  auto k4 = random_key(true);
  k4.expires_at = 4'000'000'000;
  ASSERT_TRUE(store->insert(k4).value());  // the expired key goes
  EXPECT_EQ(store->find(expired.id()), nullptr);
  ASSERT_TRUE(store->find(old_temp.id()));        // now used more recently than k4
  ASSERT_TRUE(store->insert(used_temp).value());  // k4 goes (least recently used)
  EXPECT_EQ(store->find(k4.id()), nullptr);
  EXPECT_NE(store->find(old_temp.id()), nullptr);
  EXPECT_NE(store->find(perm.id()), nullptr);
  EXPECT_EQ(store->size(), 3u);
  // Only permanent keys left: a full store refuses.
  auto full = MemoryAuthKeyStore::open({.max_keys = 2}).value();
  ASSERT_TRUE(full->insert(random_key()).value());
  ASSERT_TRUE(full->insert(random_key()).value());
  EXPECT_FALSE(full->insert(random_key(true)).is_ok());
  // Both are counted for /metrics.
  EXPECT_EQ(store->counters().evicted, 2u);
  EXPECT_EQ(store->counters().refused_full, 0u);
  EXPECT_EQ(full->counters().refused_full, 1u);
}

// One auth key file, one store: a second open (another process, or this one) is refused with
// the holder's pid until the first store is gone.
TEST(AuthKeyStore, FileIsLockedWhileAStoreHasItOpen) {
  TempDir dir;
  const std::string path = dir.file("keys.bin");
  auto first = MemoryAuthKeyStore::open({.path = path});
  ASSERT_TRUE(first.is_ok()) << first.message();
  auto second = MemoryAuthKeyStore::open({.path = path});
  ASSERT_FALSE(second.is_ok());
  EXPECT_NE(
      second.message().find("in use by another process (pid " + std::to_string(::getpid()) + ")"),
      std::string::npos)
      << second.message();
  EXPECT_NE(second.message().find(path + ".lock"), std::string::npos) << second.message();
  first.value().reset();
  auto third = MemoryAuthKeyStore::open({.path = path});
  EXPECT_TRUE(third.is_ok()) << third.message();
}

// Create/destroy cycles do not grow the file without bound: it is compacted while running.
TEST(AuthKeyStore, FileIsCompactedOnline) {
  TempDir dir;
  std::string path = dir.file("keys.bin");
  auto store = MemoryAuthKeyStore::open({.path = path, .sync_interval_ms = 10}).value();
  auto keep = random_key();
  ASSERT_TRUE(store->insert(keep).value());
  for (int i = 0; i < 300; ++i) {
    auto k = random_key();
    ASSERT_TRUE(store->insert(k).value());
    ASSERT_TRUE(store->erase(k.id()).value());
  }
  bool compacted = false;
  for (int i = 0; i < 200 && !compacted; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    compacted = std::filesystem::file_size(path) < 16u + 100 * 281;
  }
  EXPECT_TRUE(compacted) << std::filesystem::file_size(path);
  store.reset();
  auto reopened = open_store(path);
  EXPECT_EQ(reopened->size(), 1u);
  EXPECT_NE(reopened->find(keep.id()), nullptr);
}

TEST(AuthKeyStore, ConcurrentInsertsAndFinds) {
  TempDir dir;
  auto store = MemoryAuthKeyStore::open({.path = dir.file("k"), .sync_writes = false}).value();
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto k = random_key(i % 2 == 0);
        if (store->insert(k).value() && store->find(k.id())) ++ok;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(store->size(), 200u);
  EXPECT_EQ(keys_in_file(dir.file("k")), 100u);  // the permanent half
}

TEST(AuthKeyStore, MaxKeysCap) {
  auto store = MemoryAuthKeyStore::open({.max_keys = 2}).value();
  EXPECT_TRUE(store->insert(random_key()).value());
  EXPECT_TRUE(store->insert(random_key()).value());
  EXPECT_FALSE(store->insert(random_key()).is_ok());
}

TEST(DestroyAuthKey, OkNoneFail) {
  auto store = MemoryAuthKeyStore::open({}).value();
  auto k = random_key();
  ASSERT_TRUE(store->insert(k).value());
  auto answer = destroy_auth_key_answer(*store, k.id());
  ASSERT_EQ(answer.size(), 4u);
  EXPECT_EQ(load_le32(answer.data()), kDestroyAuthKeyOk);
  EXPECT_EQ(store->find(k.id()), nullptr);
  EXPECT_EQ(destroy_auth_key(*store, k.id()), kDestroyAuthKeyNone);
}

}  // namespace
}  // namespace mtedge::mtproto
