// RecordLog: round trip, recovery on open (torn tails at every offset, damaged records), group
// commit, when_durable order, failed writes rolled back and retried, online compaction while
// another thread appends.
#include "backend-adapters/embedded/storage/record_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <latch>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_files.h"

namespace mtedge::backend::embedded::storage {
namespace {

using test::read_file;
using test::TempDir;
using test::write_file;

struct Opened {
  std::unique_ptr<RecordLog> log;
  std::vector<std::string> replayed;
};

Opened open_log(RecordLogOptions options) {
  Opened out;
  auto log = RecordLog::open(std::move(options),
                             [&](ByteView r) { out.replayed.emplace_back(r.begin(), r.end()); });
  EXPECT_TRUE(log.is_ok()) << (log ? "" : log.message());
  if (log) out.log = std::move(log).value();
  return out;
}

Opened open_log(const std::string& path) {
  return open_log(RecordLogOptions{.path = path});
}

uint64_t append(RecordLog& log, const std::string& record) {
  auto lsn = log.append(as_bytes(record));
  EXPECT_TRUE(lsn.is_ok());
  return lsn ? lsn.value() : 0;
}

// Blocks until when_durable(lsn) answers; returns its answer.
bool wait_durable(RecordLog& log, uint64_t lsn) {
  std::promise<bool> answered;
  log.when_durable(lsn, [&](bool ok) { answered.set_value(ok); });
  return answered.get_future().get();
}

const std::vector<std::string> kRecords = {"alpha", "", std::string(1000, 'b'), "delta", "echo"};

TEST(RecordLog, RoundTrip) {
  TempDir dir;
  const std::string path = dir.file("a/b/log");
  {
    Opened o = open_log(path);
    ASSERT_NE(o.log, nullptr);
    EXPECT_TRUE(o.replayed.empty());
    uint64_t lsn = 0;
    for (const std::string& r : kRecords) EXPECT_EQ(append(*o.log, r), ++lsn);
    EXPECT_EQ(o.log->last_lsn(), kRecords.size());
    EXPECT_TRUE(wait_durable(*o.log, lsn));
    EXPECT_GE(o.log->durable_lsn(), lsn);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(dir.file("a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  Opened again = open_log(path);
  EXPECT_EQ(again.replayed, kRecords);
  EXPECT_EQ(again.log->recovery().records, kRecords.size());
  // lsns number this RecordLog's appends; the file keeps order, not numbers.
  EXPECT_EQ(append(*again.log, "foxtrot"), 1u);
}

TEST(RecordLog, CloseMakesAppendsDurable) {
  TempDir dir;
  const std::string path = dir.file("log");
  {
    Opened o = open_log(path);
    for (const std::string& r : kRecords) append(*o.log, r);
  }  // no wait: the destructor writes and syncs
  EXPECT_EQ(open_log(path).replayed, kRecords);
}

TEST(RecordLog, RefusesWhatItCannotHold) {
  TempDir dir;
  Opened o = open_log(RecordLogOptions{.path = dir.file("log"), .max_record_bytes = 10});
  EXPECT_TRUE(o.log->append(as_bytes(std::string(10, 'x'))).is_ok());
  auto big = o.log->append(as_bytes(std::string(11, 'x')));
  ASSERT_FALSE(big.is_ok());
  EXPECT_NE(big.message().find("too large"), std::string::npos) << big.message();
  EXPECT_FALSE(RecordLog::open({.path = dir.file("x"), .max_record_bytes = 0}, [](ByteView) {}));
}

// Errors name the path: a file that is not a record log, and one another process (here another
// open file description) is using.
TEST(RecordLog, OpenErrorsNameThePath) {
  TempDir dir;
  const std::string path = dir.file("log");
  write_file(path,
             {'n', 'o', 't', ' ', 'a', ' ', 'l', 'o', 'g', '!', '!', '!', '!', '!', '!', '!'});
  auto bad = RecordLog::open({.path = path}, [](ByteView) {});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.message().find("bad magic"), std::string::npos) << bad.message();
  EXPECT_NE(bad.message().find(path), std::string::npos) << bad.message();
  std::filesystem::remove(path);
  Opened first = open_log(path);
  auto second = RecordLog::open({.path = path}, [](ByteView) {});
  ASSERT_FALSE(second.is_ok());
  EXPECT_NE(second.message().find("in use"), std::string::npos) << second.message();
  EXPECT_NE(second.message().find(path), std::string::npos) << second.message();
}

// A crash in the middle of the last record: whatever prefix of it reached the file, opening
// replays every earlier record, cuts the tail away, and appends after it are found next time.
TEST(RecordLog, TornTailAtEveryOffsetIsTruncated) {
  TempDir dir;
  const std::string path = dir.file("log");
  {
    Opened o = open_log(path);
    for (const std::string& r : kRecords) append(*o.log, r);
  }
  const std::vector<char> whole = read_file(path);
  const size_t last_start = whole.size() - kRecordOverhead - kRecords.back().size();
  const std::vector<std::string> earlier(kRecords.begin(), kRecords.end() - 1);
  for (size_t cut = last_start; cut < whole.size(); ++cut) {
    write_file(path, std::vector<char>(whole.begin(), whole.begin() + ptrdiff_t(cut)));
    {
      Opened o = open_log(path);
      ASSERT_NE(o.log, nullptr);
      EXPECT_EQ(o.replayed, earlier) << "cut " << cut;
      EXPECT_EQ(o.log->recovery().truncated_bytes, cut - last_start);
      EXPECT_EQ(std::filesystem::file_size(path), last_start) << "cut " << cut;
      append(*o.log, "after");
    }
    std::vector<std::string> expected = earlier;
    expected.push_back("after");
    Opened o = open_log(path);
    EXPECT_EQ(o.replayed, expected) << "cut " << cut;
    EXPECT_EQ(o.log->recovery().truncated_bytes, 0u);
  }
}

// A log whose creation was cut short (empty, or part of the header) opens as an empty log.
TEST(RecordLog, TornHeaderIsRewritten) {
  TempDir dir;
  const std::string path = dir.file("log");
  write_file(path, {'M', 'T', 'E'});
  {
    Opened o = open_log(path);
    ASSERT_NE(o.log, nullptr);
    EXPECT_TRUE(o.replayed.empty());
    append(*o.log, "one");
  }
  EXPECT_EQ(open_log(path).replayed, std::vector<std::string>{"one"});
}

TEST(RecordLog, DamagedMiddleRecordIsSkipped) {
  TempDir dir;
  const std::string path = dir.file("log");
  {
    Opened o = open_log(path);
    for (const std::string& r : kRecords) append(*o.log, r);
  }
  std::vector<char> bytes = read_file(path);
  const size_t third = kHeaderSize + 2 * kRecordOverhead + 5;
  bytes[third + kRecordOverhead + 500] ^= 0x01;  // a bit of the 1000-byte record's payload
  write_file(path, bytes);
  Opened o = open_log(path);
  ASSERT_NE(o.log, nullptr);
  EXPECT_EQ(o.replayed, (std::vector<std::string>{"alpha", "", "delta", "echo"}));
  ASSERT_EQ(o.log->recovery().skipped.size(), 1u);
  EXPECT_EQ(o.log->recovery().skipped[0].offset, third);
  EXPECT_EQ(o.log->recovery().skipped[0].size, kRecordOverhead + 1000);
  EXPECT_EQ(o.log->recovery().truncated_bytes, 0u);
}

// Records appended while a sync runs share the next one: the first sync is held until 100 more
// records are queued, which then take one sync between them. Without group commit each record
// takes its own.
void check_sync_count(bool group_commit, uint64_t expected_syncs) {
  TempDir dir;
  std::latch in_first_sync(1), release(1);
  std::atomic<int> syncs_seen{0};
  Opened o = open_log(
      RecordLogOptions{.path = dir.file("log"), .group_commit = group_commit, .before_sync = [&] {
                         if (syncs_seen++ > 0) return;
                         in_first_sync.count_down();
                         release.wait();
                       }});
  append(*o.log, "first");
  in_first_sync.wait();
  uint64_t last = 0;
  for (int i = 0; i < 100; ++i)
    last = append(*o.log, std::string("record ").append(std::to_string(i)));
  release.count_down();
  EXPECT_TRUE(wait_durable(*o.log, last));
  EXPECT_EQ(o.log->syncs(), expected_syncs);
}

TEST(RecordLog, GroupCommitBatchesRecordsAppendedDuringASync) {
  check_sync_count(/*group_commit=*/true, 2);
}

TEST(RecordLog, WithoutGroupCommitEveryRecordSyncs) {
  check_sync_count(/*group_commit=*/false, 101);
}

// Callbacks run on the writer thread, in lsn order, each once its lsn is durable, whatever
// order they were registered in; one registered for a durable lsn runs too (not inline).
TEST(RecordLog, WhenDurableOrder) {
  TempDir dir;
  Opened o = open_log(RecordLogOptions{.path = dir.file("log"), .group_commit = false});
  std::mutex mu;
  std::vector<uint64_t> order;
  std::vector<uint64_t> durable_seen;
  std::atomic<int> on_caller_thread{0};
  const auto caller = std::this_thread::get_id();
  auto note = [&](uint64_t lsn) {
    return [&, lsn](bool ok) {
      EXPECT_TRUE(ok);
      if (std::this_thread::get_id() == caller) ++on_caller_thread;
      std::lock_guard lock(mu);
      order.push_back(lsn);
      durable_seen.push_back(o.log->durable_lsn());
    };
  };
  for (uint64_t lsn : {7, 3, 10, 1, 3, 5}) o.log->when_durable(lsn, note(lsn));
  for (int i = 0; i < 10; ++i) append(*o.log, std::string("r").append(std::to_string(i)));
  EXPECT_TRUE(wait_durable(*o.log, 10));
  o.log->when_durable(2, note(2));
  EXPECT_TRUE(wait_durable(*o.log, 2));
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<uint64_t>{1, 3, 3, 5, 7, 10, 2}));
  for (size_t i = 0; i < order.size(); ++i) EXPECT_GE(durable_seen[i], order[i]);
  EXPECT_EQ(on_caller_thread.load(), 0);
}

// A write that fails part-way (EFBIG from RLIMIT_FSIZE) is cut back to the last durable record
// and answered false; the record stays queued, and once the limit is lifted the retry makes it
// (and what follows) durable. The process is not killed (SIGXFSZ is ignored by open()).
TEST(RecordLog, FailedWriteIsRolledBackAndRetried) {
  TempDir dir;
  const std::string path = dir.file("log");
  Opened o = open_log(path);
  EXPECT_TRUE(wait_durable(*o.log, append(*o.log, "small")));
  const uint64_t good_size = std::filesystem::file_size(path);
  uint64_t big = 0;
  {
    test::FileSizeLimit limit(good_size + 100);
    ASSERT_TRUE(limit.ok());
    big = append(*o.log, std::string(1000, 'x'));
    EXPECT_FALSE(wait_durable(*o.log, big));
    EXPECT_EQ(std::filesystem::file_size(path), good_size);  // rolled back
    EXPECT_EQ(o.log->durable_lsn(), big - 1);
  }
  const uint64_t after = append(*o.log, "after");
  EXPECT_TRUE(wait_durable(*o.log, after));  // the retry wrote both, in order
  EXPECT_TRUE(wait_durable(*o.log, big));
  o.log.reset();
  EXPECT_EQ(open_log(path).replayed,
            (std::vector<std::string>{"small", std::string(1000, 'x'), "after"}));
}

// A key-value state whose records are "key=value" with each key's values counting 1, 2, 3...:
// replaying any loss, duplicate or reordering breaks a key's count.
struct CountingState {
  std::mutex mu;
  std::map<int, int> values;
  bool broken = false;

  void apply(const std::string& record) {
    const size_t eq = record.find('=');
    const int key = std::stoi(record.substr(0, eq));
    const int value = std::stoi(record.substr(eq + 1));
    int& current = values[key];
    if (value != current + 1) broken = true;
    current = value;
  }
  static std::string record(int key, int value) {
    return std::to_string(key) + std::string("=").append(std::to_string(value));
  }
};

TEST(RecordLog, CompactionWhileAnotherThreadAppendsLosesNothing) {
  TempDir dir;
  const std::string path = dir.file("log");
  CountingState state;
  // Slow syncs, so that records are queued (not yet written) when a compaction switches files.
  Opened o = open_log(RecordLogOptions{.path = path, .before_sync = [] {
                                         std::this_thread::sleep_for(std::chrono::milliseconds(2));
                                       }});
  std::atomic<int> compactions{0};
  std::atomic<int> appended{0};
  std::thread writer([&] {
    for (int i = 0; i < 5000 || compactions < 5; ++i) {
      std::lock_guard lock(state.mu);
      const int key = i % 37;
      const std::string r = CountingState::record(key, state.values[key] + 1);
      state.apply(r);
      append(*o.log, r);
      ++appended;
    }
  });
  while (compactions < 5) {
    // Let some records queue up first, then snapshot: the copy and its cut are taken under the
    // state's lock, the records are written outside it.
    const int before = appended;
    while (appended < before + 200) std::this_thread::yield();
    Status st = o.log->compact([&](const RecordLog::Emit& emit) {
      std::map<int, int> copy;
      uint64_t cut = 0;
      {
        std::lock_guard lock(state.mu);
        copy = state.values;
        cut = o.log->last_lsn();
      }
      // A snapshot record ("S" key=value) sets a key's count outright.
      for (const auto& [key, value] : copy)
        emit(as_bytes(std::string("S").append(CountingState::record(key, value))));
      return cut;
    });
    ASSERT_TRUE(st.is_ok()) << st.message();
    ++compactions;
  }
  writer.join();
  EXPECT_TRUE(wait_durable(*o.log, o.log->last_lsn()));
  o.log.reset();
  const uint64_t compacted_size = std::filesystem::file_size(path);
  CountingState replayed;
  {
    Opened again = open_log(path);
    for (const std::string& r : again.replayed) {
      if (r[0] == 'S') {
        const std::string body = r.substr(1);
        const size_t eq = body.find('=');
        replayed.values[std::stoi(body.substr(0, eq))] = std::stoi(body.substr(eq + 1));
      } else {
        replayed.apply(r);
      }
    }
  }
  EXPECT_FALSE(replayed.broken);
  EXPECT_EQ(replayed.values, state.values);
  EXPECT_LT(compacted_size, uint64_t(appended) * kRecordOverhead);  // old records were dropped
}

// A snapshot that claims a cut outside what it may reflect is refused; the log goes on.
TEST(RecordLog, CompactionRefusesABadCut) {
  TempDir dir;
  const std::string path = dir.file("log");
  Opened o = open_log(path);
  append(*o.log, "a");
  Status st = o.log->compact([&](const RecordLog::Emit&) { return uint64_t{5}; });
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("cut 5"), std::string::npos) << st.message();
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  append(*o.log, "b");
  o.log.reset();
  EXPECT_EQ(open_log(path).replayed, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace mtedge::backend::embedded::storage
