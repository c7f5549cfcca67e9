// Storage: where the messenger's state persists (users, key bindings, contacts, messages,
// dialogs, pts, random_id dedupe), as the records of state/records.h in apply order. The Store
// hands it every applied record (Store::set_sink); answers that depend on a write wait for
// when_durable. The embedded implementation is an append-only log under var/
// (storage/log_storage.h); another (Redis, say) implements the same three calls and replays
// its records into the Store when it opens. docs/backends/embedded-storage.md.
#pragma once

#include <cstdint>
#include <functional>

#include "base/bytes.h"

namespace mtedge::backend::embedded::state {

// Counts since the storage opened (read from any thread).
struct StorageStats {
  uint64_t appended = 0;      // records appended
  uint64_t durable = 0;       // of those, durable (appended - durable: the durable lag)
  uint64_t syncs = 0;         // fsyncs (fdatasync) of appended records
  uint64_t failed_waits = 0;  // when_durable answered false
  uint64_t compactions = 0;   // compactions done
  uint64_t compaction_failures = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;
  // Takes one encoded record; called under the Store's lock, so in apply order, never
  // blocking on I/O. Returns its lsn: 1, 2, ... in this storage's life.
  virtual uint64_t append(const Bytes& record) = 0;
  // Runs done(true) once every record up to `lsn` is durable (fsynced), done(false) when
  // persisting them failed (they stay queued and are retried; a later wait may answer true).
  // `done` runs on a storage thread, never inline, and must not block: post to your loop.
  virtual void when_durable(uint64_t lsn, std::function<void(bool ok)> done) = 0;
  virtual StorageStats stats() const = 0;
};

}  // namespace mtedge::backend::embedded::state
