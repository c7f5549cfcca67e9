// RecordLog: a durable, append-only log of opaque records (docs/backends/embedded-storage.md).
// The state that writes it lives in memory; every mutation is appended as a record and the log
// is replayed at startup. The log knows nothing of what the records mean.
//
// Contract:
//  - open() replays every intact record in file order, truncates a torn tail (a crash or failed
//    write mid-record) and skips damaged records in the middle, each with a warning; it fails
//    only on a file that is not a record log, an I/O error or a file another process holds
//    (flock). Every error names the path.
//  - append() is thread-safe and never touches the disk: it numbers the record (lsn 1, 2, ... in
//    this RecordLog's life; lsns are not stored) and queues it for the writer thread.
//  - The file always holds a prefix of the appended records, in lsn order: a record is written
//    only after every record before it. The writer writes what is queued and fdatasyncs it; with
//    group_commit, everything appended while a write or sync runs goes out in the next one,
//    without it every record is written and synced on its own.
//  - when_durable(lsn, done) runs done(true) on the writer thread once every record up to `lsn`
//    is written and fdatasynced (at once, on that thread, when it already is). Callbacks run in
//    lsn order. A failed or partial write or a failed fdatasync is cut back to the last durable
//    record (ftruncate), logged, and answered done(false) for every waiter up to the failed
//    batch's last lsn; the records stay queued and the writer retries them (100 ms, doubling up
//    to 5 s), so a later when_durable() for them can still answer true. ENOSPC, EFBIG (SIGXFSZ is
//    ignored) and EIO never stop the process. Done callbacks must not block: post to your loop.
//  - compact() rewrites the file as a snapshot of the state plus the records appended after the
//    snapshot's cut, while appends go on (see compact()).
//  - The destructor writes and syncs what is queued (one more attempt after a failure), answers
//    the remaining waiters false, and stops the writer. No compact() may be running.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backend-adapters/embedded/storage/record_format.h"
#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::backend::embedded::storage {

struct RecordLogOptions {
  std::string path;  // created (mode 0600, missing directories 0700) when missing
  bool group_commit = true;
  size_t max_record_bytes = 1u << 20;  // append() refuses larger records; at most kMaxRecordBytes
  std::function<void()> before_sync;   // runs on the writer thread before each fdatasync (tests)
};

// What open() found.
struct RecoveryReport {
  size_t records = 0;                 // records replayed
  std::vector<SkippedRange> skipped;  // damaged ranges skipped (left in the file)
  uint64_t truncated_bytes = 0;       // torn tail cut away
};

class RecordLog {
 public:
  using Emit = std::function<void(ByteView record)>;
  // Writes the whole state as records through `emit` and returns the cut: the lsn of the last
  // appended record the state reflects (read last_lsn() under the lock that orders your state
  // changes and their appends).
  using Snapshot = std::function<uint64_t(const Emit& emit)>;

  // Opens or creates the log at options.path, calling `replay` for every intact record in order
  // (the view is valid during the call only).
  static Result<std::unique_ptr<RecordLog>> open(RecordLogOptions options,
                                                 const std::function<void(ByteView)>& replay);
  ~RecordLog();
  RecordLog(const RecordLog&) = delete;
  RecordLog& operator=(const RecordLog&) = delete;

  // Queues `record` and returns its lsn. Fails only for a record above max_record_bytes.
  Result<uint64_t> append(ByteView record);
  // See the contract above. `lsn` may be one not appended yet: done waits for it.
  void when_durable(uint64_t lsn, std::function<void(bool ok)> done);
  // The highest lsn written and fdatasynced (every lsn up to it is).
  uint64_t durable_lsn() const { return durable_lsn_.load(std::memory_order_acquire); }
  // The lsn of the last appended record (0 before the first).
  uint64_t last_lsn() const;

  // Online compaction. Writes a new file: the header, the records `snapshot` emits (on the
  // calling thread; appends go on meanwhile), then every record appended after the cut
  // `snapshot` returns; fdatasyncs it, renames it over the log, fsyncs the directory, and from
  // then on appends go to it. Every record up to the switch is durable in the new file (waiters
  // are answered true), which also ends a run of failed writes. The cut must be at least
  // last_lsn() at the call and at most last_lsn() when snapshot returns. One compaction at a
  // time (a second caller waits). On failure the old file stays as it was and in use.
  Status compact(const Snapshot& snapshot);

  // fdatasyncs of appended records so far (compactions not counted).
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  const RecoveryReport& recovery() const { return recovery_; }
  const std::string& path() const { return options_.path; }

 private:
  RecordLog(RecordLogOptions options, int fd, uint64_t file_size);
  struct Switch;  // a compaction handing its new file to the writer
  using Callbacks = std::vector<std::pair<std::function<void(bool)>, bool>>;

  void writer_loop();
  // Writes `batch` (records durable_lsn_ + 1 ...) and syncs; returns how many records became
  // durable before a failure, with the failure (ok when all did).
  Status write_batch(ByteView batch, size_t& durable_records);
  // Moves every waiter up to `lsn` into `out`, answered `ok` (mu_ held).
  void take_waiters(uint64_t lsn, bool ok, Callbacks& out);
  void finish_switch(std::unique_lock<std::mutex>& lock);
  static void run(Callbacks& callbacks);

  const RecordLogOptions options_;
  RecoveryReport recovery_;

  mutable std::mutex mu_;
  std::condition_variable wake_;  // the writer: new records, waiters, a switch, stop
  Bytes pending_;                 // encoded records durable_lsn_ + 1 ... last_lsn_
  uint64_t last_lsn_ = 0;
  std::atomic<uint64_t> durable_lsn_{0};  // written under mu_
  std::multimap<uint64_t, std::function<void(bool)>> waiters_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point retry_at_{};  // after a failure: when to write again
  std::chrono::milliseconds retry_delay_{0};

  // Compaction (mu_ held): while capturing_, append() also copies each record into capture_
  // (records capture_from_ + 1 ... last_lsn_).
  std::mutex compact_mu_;  // one compaction at a time
  bool capturing_ = false;
  uint64_t capture_from_ = 0;
  Bytes capture_;
  Switch* switch_ = nullptr;
  std::condition_variable switched_;

  // The writer thread's own.
  int fd_ = -1;
  uint64_t file_size_ = 0;   // bytes up to the end of the last durable record
  bool tail_dirty_ = false;  // a rollback failed: cut the file to file_size_ before writing

  std::atomic<uint64_t> syncs_{0};
  std::thread writer_;
};

}  // namespace mtedge::backend::embedded::storage
