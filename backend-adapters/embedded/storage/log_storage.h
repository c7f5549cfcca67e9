// LogStorage: the embedded Storage (state/storage.h), a RecordLog of the Store's records.
//
// open() replays the log into the Store (which must not be shared yet), then makes itself the
// Store's sink: every applied record is appended under the Store's lock, so the log's order is
// the apply order. A record that does not decode (a log written by a newer version) fails
// open(), naming the path and the record's position.
//
// Compaction: once the records appended since the last compaction (or since open) pass
// max(compact_after_bytes, the last snapshot's size), a compaction thread of its own copies
// the model under the Store's lock (with the log's last lsn as the cut), and rewrites the log
// as Model::snapshot of the copy plus the records appended after the cut
// (RecordLog::compact), while appends go on. Worker loops never wait for it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "backend-adapters/embedded/state/storage.h"
#include "backend-adapters/embedded/state/store.h"
#include "backend-adapters/embedded/storage/record_log.h"
#include "base/status.h"

namespace mtedge::backend::embedded::storage {

struct LogStorageOptions {
  std::string path;
  bool group_commit = true;
  uint64_t compact_after_bytes = 64u << 20;  // 0: never compact automatically
  std::function<void()> before_sync;         // RecordLogOptions::before_sync (tests)
};

class LogStorage final : public state::Storage {
 public:
  static Result<std::shared_ptr<LogStorage>> open(LogStorageOptions options,
                                                  std::shared_ptr<state::Store> store);
  // Detaches from the Store, stops the compaction thread, then closes the log (which syncs
  // what is queued and answers the remaining waiters).
  ~LogStorage() override;

  uint64_t append(const Bytes& record) override;
  void when_durable(uint64_t lsn, std::function<void(bool ok)> done) override;
  state::StorageStats stats() const override;

  // Compacts now, on the calling thread (the automatic trigger runs the same).
  Status compact();
  const RecordLog& log() const { return *log_; }

 private:
  LogStorage(LogStorageOptions options, std::shared_ptr<state::Store> store,
             std::unique_ptr<RecordLog> log);
  void compactor_loop();

  const LogStorageOptions options_;
  std::shared_ptr<state::Store> store_;
  std::unique_ptr<RecordLog> log_;

  std::atomic<uint64_t> failed_waits_{0};
  std::atomic<uint64_t> compactions_{0};
  std::atomic<uint64_t> compaction_failures_{0};

  std::mutex mu_;  // taken under the Store's lock (append), never the other way
  std::condition_variable wake_;
  uint64_t bytes_since_compaction_ = 0;
  uint64_t compact_threshold_ = 0;
  bool compact_wanted_ = false;
  bool stopping_ = false;
  std::thread compactor_;
};

}  // namespace mtedge::backend::embedded::storage
