// RecordLog under a real crash: a child process appends records (and compacts now and then),
// reports every lsn when_durable() confirms over a pipe, and is killed with SIGKILL at a random
// moment. Reopened, the log must hold every confirmed record, in order, exactly once. Several
// rounds reuse the file, so each round also recovers from the previous round's kill.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend-adapters/embedded/storage/record_log.h"
#include "tests/support/temp_files.h"

namespace mtedge::backend::embedded::storage {
namespace {

// A record: round u32 | lsn u64 | filler (0..200 bytes of the lsn's low byte).
Bytes record_of(uint32_t round, uint64_t lsn) {
  Bytes r;
  append_le32(r, round);
  append_le32(r, static_cast<uint32_t>(lsn));
  append_le32(r, static_cast<uint32_t>(lsn >> 32));
  r.resize(r.size() + lsn * 7 % 201, static_cast<uint8_t>(lsn));
  return r;
}

// The child: replays (keeping every record, for its snapshots), then appends round `round`'s
// records 1, 2, 3... forever, writing each confirmed lsn (u64) to `report_fd`.
[[noreturn]] void run_child(const std::string& path, uint32_t round, int report_fd) {
  std::vector<Bytes> all;
  auto opened =
      RecordLog::open({.path = path}, [&](ByteView r) { all.emplace_back(r.begin(), r.end()); });
  if (!opened) ::_exit(2);
  RecordLog& log = *opened.value();
  for (uint64_t lsn = 1;; ++lsn) {
    Bytes r = record_of(round, lsn);
    if (log.append(r).value() != lsn) ::_exit(3);
    all.push_back(std::move(r));
    log.when_durable(lsn, [report_fd, lsn](bool ok) {
      if (ok && ::write(report_fd, &lsn, sizeof lsn) != sizeof lsn) ::_exit(4);
    });
    if (lsn % 3000 == 0) {
      // This thread is the only one appending: the state (all) reflects exactly last_lsn().
      Status st = log.compact([&](const RecordLog::Emit& emit) {
        for (const Bytes& b : all) emit(b);
        return log.last_lsn();
      });
      if (!st) ::_exit(5);
    }
    while (log.last_lsn() - log.durable_lsn() > 2000) ::usleep(100);  // bound the queue
  }
}

TEST(RecordLogCrash, KillNineKeepsEveryConfirmedRecordInOrderOnce) {
  test::TempDir dir;
  const std::string path = dir.file("log");
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE(std::string("seed ").append(std::to_string(seed)));
  std::vector<uint64_t> confirmed;  // per round: the highest lsn reported durable
  constexpr uint32_t kRounds = 5;
  for (uint32_t round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      run_child(path, round, fds[1]);
    }
    ::close(fds[1]);
    uint64_t highest = 0;
    auto read_reports = [&](int timeout_ms) {
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) return false;
      uint64_t lsns[512];
      ssize_t n = ::read(fds[0], lsns, sizeof lsns);
      if (n <= 0) return false;
      for (ssize_t i = 0; i < n / ssize_t(sizeof(uint64_t)); ++i) {
        EXPECT_GT(lsns[i], highest) << "reports out of order";
        highest = std::max(highest, lsns[i]);
      }
      return true;
    };
    // Read reports until the first one (a busy disk may take a while to sync), then for a
    // random 0..400 ms more, then kill the child mid-whatever.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (highest == 0 && std::chrono::steady_clock::now() < give_up) read_reports(10);
    const auto deadline =
        std::chrono::steady_clock::now() +
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(rng));
    while (std::chrono::steady_clock::now() < deadline) read_reports(10);
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    while (read_reports(0)) {
    }  // what it confirmed before dying is still in the pipe
    ::close(fds[0]);
    ASSERT_GT(highest, 0u) << "the child confirmed nothing in round " << round;
    confirmed.push_back(highest);

    // Reopen: every round so far, each as 1..n with n at least what was confirmed.
    std::vector<std::pair<uint32_t, uint64_t>> seen;
    bool well_formed = true;
    auto log = RecordLog::open({.path = path}, [&](ByteView r) {
      if (r.size() < 12) {
        well_formed = false;
        return;
      }
      const uint32_t rr = load_le32(r.data());
      const uint64_t lsn = load_le32(r.data() + 4) | uint64_t(load_le32(r.data() + 8)) << 32;
      well_formed = well_formed && Bytes(r.begin(), r.end()) == record_of(rr, lsn);
      seen.emplace_back(rr, lsn);
    });
    ASSERT_TRUE(log.is_ok()) << log.message();
    EXPECT_TRUE(well_formed);
    size_t i = 0;
    for (uint32_t r = 0; r <= round; ++r) {
      uint64_t expected = 1;
      while (i < seen.size() && seen[i].first == r) {
        ASSERT_EQ(seen[i].second, expected) << "round " << r << " record " << i;
        ++expected;
        ++i;
      }
      EXPECT_GE(expected - 1, confirmed[r]) << "round " << r << " lost confirmed records";
    }
    EXPECT_EQ(i, seen.size()) << "records after the last round";
  }
}

}  // namespace
}  // namespace mtedge::backend::embedded::storage
