// MemoryAuthKeyStore: operations, persistence round trip, corrupted files, destroy_auth_key.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "crypto/random.h"
#include "mtproto/auth_keys/destroy_auth_key.h"
#include "mtproto/auth_keys/memory_auth_key_store.h"

namespace mtedge::mtproto {
namespace {

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

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/mtedge-keys-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

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
  bad = good;
  bad[16 + 100] ^= 1;
  expect_rejected(bad, "key byte");
  bad = good;
  bad[16] = 7;
  expect_rejected(bad, "record type");
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
  EXPECT_EQ(open_store(dir.file("k"))->size(), 100u);  // the permanent half
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
