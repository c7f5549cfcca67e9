// LogStorage: the Store's records in a RecordLog. A restart replays them into an equal model;
// every write is appended under the Store's lock and its lsn noted for the caller; a wait for
// durability answers only after the fsync; compaction (by hand or past the threshold, on its
// own thread) keeps the state; a log this version cannot read, or one in use, fails open naming
// the path.
#include "backend-adapters/embedded/storage/log_storage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "tests/support/temp_files.h"

namespace mtedge::backend::embedded::storage {
namespace {

using namespace std::chrono_literals;
using test::TempDir;

// A gate the writer thread waits at before each fsync (RecordLogOptions::before_sync).
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

std::shared_ptr<LogStorage> open_storage(const std::string& path,
                                         std::shared_ptr<state::Store> store,
                                         LogStorageOptions options = {}) {
  options.path = path;
  auto storage = LogStorage::open(std::move(options), std::move(store));
  EXPECT_TRUE(storage.is_ok()) << storage.message();
  return storage.is_ok() ? storage.value() : nullptr;
}

void chat(state::Store& store, int64_t from, int64_t to, int count, int64_t first_random_id) {
  for (int i = 0; i < count; ++i) {
    store.write([&](state::Transaction& txn) {
      const state::Box& a = *txn.model().box(from);
      const state::Box& b = *txn.model().box(to);
      txn.apply(state::MessageSent{from,
                                   to,
                                   first_random_id + i,
                                   100 + i,
                                   "message",
                                   {},
                                   a.next_msg_id(),
                                   a.pts + 1,
                                   b.next_msg_id(),
                                   b.pts + 1});
    });
  }
}

void populate(state::Store& store) {
  store.write([](state::Transaction& txn) {
    txn.apply(state::UserCreated{1000001, "15550001", "Ann", "", 0x11, 1});
    txn.apply(state::UserCreated{1000002, "15550002", "Bob", "", 0x22, 2});
    txn.apply(state::KeyBound{0xa1, 1000001});
    txn.apply(state::KeyBound{0xb1, 1000002});
    txn.apply(state::ContactAdded{1000001, 1000002, "B", ""});
  });
  chat(store, 1000001, 1000002, 20, 500);
  store.write([](state::Transaction& txn) {
    txn.apply(state::HistoryRead{1000002, 1000001, 10, txn.model().box(1000002)->pts + 1, 10,
                                 txn.model().box(1000001)->pts + 1});
  });
}

// Waits until everything appended is durable (in the file).
void settle(const LogStorage& storage) {
  for (int i = 0; i < 500 && storage.stats().durable < storage.stats().appended; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(storage.stats().durable, storage.stats().appended);
}

state::Model model_of(const state::Store& store) {
  return store.read([](const state::Model& model) { return model; });
}

// Opening the log at `path` again rebuilds `expected`.
void expect_replays_to(const std::string& path, const state::Model& expected) {
  auto store = std::make_shared<state::Store>();
  auto storage = open_storage(path, store);
  ASSERT_TRUE(storage);
  EXPECT_TRUE(model_of(*store) == expected);
}

TEST(LogStorage, RestartReplaysAnEqualModel) {
  TempDir dir;
  const std::string path = dir.file("var/state.log");
  state::Model before;
  {
    auto store = std::make_shared<state::Store>();
    auto storage = open_storage(path, store);
    ASSERT_TRUE(storage);
    populate(*store);
    before = model_of(*store);
  }
  auto store = std::make_shared<state::Store>();
  auto storage = open_storage(path, store);
  ASSERT_TRUE(storage);
  EXPECT_TRUE(model_of(*store) == before);
  EXPECT_EQ(model_of(*store).user_of_key(0xb1), 1000002);
  EXPECT_EQ(model_of(*store).box(1000001)->sent_by_random_id.at(505), 6);
  // Replayed records are not appended again.
  EXPECT_EQ(storage->stats().appended, 0u);
}

TEST(LogStorage, WritesNoteTheirLsnAndDurabilityWaitsForTheSync) {
  TempDir dir;
  Gate gate;
  std::atomic<int> syncs_started{0};
  LogStorageOptions options;
  options.before_sync = [&] {
    ++syncs_started;
    gate.wait();
  };
  auto store = std::make_shared<state::Store>();
  auto storage = open_storage(dir.file("state.log"), store, options);
  ASSERT_TRUE(storage);
  uint64_t lsn = 0;
  {
    state::WrittenLsn written;
    store->write([](state::Transaction& txn) {
      txn.apply(state::CodeSent{"15550001", "h", "12345", 9});
      txn.apply(state::CodeSent{"15550002", "h", "12345", 9});
    });
    store->read([](const state::Model&) { return 0; });  // a read notes nothing
    lsn = written.lsn();
  }
  EXPECT_EQ(lsn, 2u);
  {
    state::WrittenLsn written;
    store->write([](state::Transaction&) {});  // nothing applied
    EXPECT_EQ(written.lsn(), 0u);
  }
  std::atomic<int> answered{0};
  std::atomic<bool> durable{false};
  storage->when_durable(lsn, [&](bool ok) {
    durable = ok;
    ++answered;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_GE(syncs_started.load(), 1);  // the writer is at the fsync...
  EXPECT_EQ(answered.load(), 0);       // ...and the wait is not answered before it
  gate.open();
  for (int i = 0; i < 500 && answered.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(answered.load(), 1);
  EXPECT_TRUE(durable.load());
  EXPECT_EQ(storage->stats().durable, 2u);
  EXPECT_GE(storage->stats().syncs, 1u);
}

TEST(LogStorage, CompactionShrinksTheLogAndKeepsTheState) {
  TempDir dir;
  const std::string path = dir.file("state.log");
  state::Model before;
  {
    auto store = std::make_shared<state::Store>();
    LogStorageOptions options;
    options.compact_after_bytes = 0;  // by hand only
    auto storage = open_storage(path, store, options);
    ASSERT_TRUE(storage);
    populate(*store);
    // Records that leave nothing behind: a login code sent and used, over and over.
    for (int i = 0; i < 200; ++i) {
      store->write([](state::Transaction& txn) {
        txn.apply(state::CodeSent{"15550009", "hash", "12345", 9});
        txn.apply(state::CodeUsed{"15550009"});
      });
    }
    settle(*storage);
    const auto grown = std::filesystem::file_size(path);
    ASSERT_TRUE(storage->compact().is_ok());
    EXPECT_LT(std::filesystem::file_size(path), grown / 2);
    chat(*store, 1000002, 1000001, 3, 900);  // appended after the compaction
    before = model_of(*store);
    EXPECT_EQ(storage->stats().compactions, 1u);
  }
  expect_replays_to(path, before);
}

TEST(LogStorage, CompactsByItselfPastTheThreshold) {
  TempDir dir;
  const std::string path = dir.file("state.log");
  state::Model before;
  {
    auto store = std::make_shared<state::Store>();
    LogStorageOptions options;
    options.compact_after_bytes = 1024;
    auto storage = open_storage(path, store, options);
    ASSERT_TRUE(storage);
    populate(*store);
    for (int i = 0; i < 500 && storage->stats().compactions == 0; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    EXPECT_GE(storage->stats().compactions, 1u);
    chat(*store, 1000001, 1000002, 5, 700);
    before = model_of(*store);
  }
  expect_replays_to(path, before);
}

TEST(LogStorage, UnreadableRecordFailsOpenNamingThePath) {
  TempDir dir;
  const std::string path = dir.file("state.log");
  {
    auto log = RecordLog::open(RecordLogOptions{path}, [](ByteView) {});
    ASSERT_TRUE(log.is_ok()) << log.message();
    const uint8_t unknown_tag[] = {0xee, 1, 2, 3};
    ASSERT_TRUE(log.value()->append(ByteView(unknown_tag, sizeof unknown_tag)).is_ok());
  }
  auto opened = LogStorage::open(LogStorageOptions{path}, std::make_shared<state::Store>());
  ASSERT_FALSE(opened.is_ok());
  EXPECT_NE(opened.message().find(path), std::string::npos) << opened.message();
  EXPECT_NE(opened.message().find("record = 1"), std::string::npos) << opened.message();
}

TEST(LogStorage, LogInUseFailsOpenNamingThePath) {
  TempDir dir;
  const std::string path = dir.file("state.log");
  auto first = open_storage(path, std::make_shared<state::Store>());
  ASSERT_TRUE(first);
  auto second = LogStorage::open(LogStorageOptions{path}, std::make_shared<state::Store>());
  ASSERT_FALSE(second.is_ok());
  EXPECT_NE(second.message().find(path), std::string::npos) << second.message();
}

}  // namespace
}  // namespace mtedge::backend::embedded::storage
