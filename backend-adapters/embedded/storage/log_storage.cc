#include "backend-adapters/embedded/storage/log_storage.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "backend-adapters/embedded/state/records.h"

namespace mtedge::backend::embedded::storage {
namespace {
constexpr std::chrono::seconds kRetryAfterFailure{10};
}  // namespace

Result<std::shared_ptr<LogStorage>> LogStorage::open(LogStorageOptions options,
                                                     std::shared_ptr<state::Store> store) {
  RecordLogOptions log_options;
  log_options.path = options.path;
  log_options.group_commit = options.group_commit;
  log_options.max_record_bytes = kMaxRecordBytes;  // the messenger never writes one this big
  log_options.before_sync = options.before_sync;
  Status replayed;
  size_t position = 0;
  auto log = RecordLog::open(log_options, [&](ByteView bytes) {
    ++position;
    if (!replayed) return;
    auto record = state::decode(bytes);
    if (!record) {
      replayed = Status::error(
          fmt::format("{} [path = {}, record = {}]", record.message(), options.path, position));
      return;
    }
    store->write([&](state::Transaction& txn) { txn.apply(record.value()); });
  });
  if (!log) return log.status();
  if (!replayed) return replayed;
  const RecoveryReport& report = log.value()->recovery();
  spdlog::info(
      "embedded: state loaded from {} [records = {}, skipped ranges = {}, truncated "
      "bytes = {}]",
      options.path, report.records, report.skipped.size(), report.truncated_bytes);
  std::shared_ptr<LogStorage> storage(
      new LogStorage(std::move(options), std::move(store), std::move(log.value())));
  return storage;
}

LogStorage::LogStorage(LogStorageOptions options, std::shared_ptr<state::Store> store,
                       std::unique_ptr<RecordLog> log)
    : options_(std::move(options)), store_(std::move(store)), log_(std::move(log)) {
  compact_threshold_ = options_.compact_after_bytes;
  store_->set_sink([this](const Bytes& record) { return append(record); });
  if (options_.compact_after_bytes > 0) compactor_ = std::thread([this] { compactor_loop(); });
}

LogStorage::~LogStorage() {
  store_->set_sink(nullptr);
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (compactor_.joinable()) compactor_.join();
  log_.reset();
}

uint64_t LogStorage::append(const Bytes& record) {
  auto lsn = log_->append(record);
  if (!lsn) {
    // Only a record over kMaxRecordBytes (64 MiB) is refused; nothing the messenger writes.
    spdlog::error("embedded: state record not logged: {}", lsn.message());
    return log_->last_lsn();
  }
  if (options_.compact_after_bytes > 0) {
    std::lock_guard lock(mu_);
    bytes_since_compaction_ += record.size() + kRecordOverhead;
    if (bytes_since_compaction_ >= compact_threshold_ && !compact_wanted_) {
      compact_wanted_ = true;
      wake_.notify_one();
    }
  }
  return lsn.value();
}

void LogStorage::when_durable(uint64_t lsn, std::function<void(bool ok)> done) {
  log_->when_durable(lsn, [this, done = std::move(done)](bool ok) {
    if (!ok) failed_waits_.fetch_add(1, std::memory_order_relaxed);
    done(ok);
  });
}

state::StorageStats LogStorage::stats() const {
  state::StorageStats s;
  s.appended = log_->last_lsn();
  s.durable = log_->durable_lsn();
  s.syncs = log_->syncs();
  s.failed_waits = failed_waits_.load(std::memory_order_relaxed);
  s.compactions = compactions_.load(std::memory_order_relaxed);
  s.compaction_failures = compaction_failures_.load(std::memory_order_relaxed);
  return s;
}

Status LogStorage::compact() {
  {
    std::lock_guard lock(mu_);
    bytes_since_compaction_ = 0;  // what is appended from here on counts for the next one
  }
  uint64_t snapshot_bytes = 0;
  Status status = log_->compact([&](const RecordLog::Emit& emit) {
    state::Model copy;
    uint64_t cut = 0;
    store_->read([&](const state::Model& model) {
      copy = model;
      cut = log_->last_lsn();  // appends happen under this lock: the copy reflects up to cut
      return 0;
    });
    copy.snapshot([&](const state::Record& record) {
      Bytes bytes = state::encode(record);
      snapshot_bytes += bytes.size() + kRecordOverhead;
      emit(bytes);
    });
    return cut;
  });
  if (!status) {
    compaction_failures_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("embedded: state log compaction failed: {}", status.message());
    return status;
  }
  compactions_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mu_);
    compact_threshold_ = std::max(options_.compact_after_bytes, snapshot_bytes);
  }
  spdlog::info("embedded: state log compacted [path = {}, snapshot bytes = {}]", options_.path,
               snapshot_bytes);
  return Status::ok();
}

void LogStorage::compactor_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || compact_wanted_; });
    if (stopping_) return;
    lock.unlock();
    const bool ok = bool(compact());  // a failure is logged and counted; the log stays in use
    lock.lock();
    // After a failure (a full disk, say) the next attempt waits, whatever is appended.
    if (!ok) wake_.wait_for(lock, kRetryAfterFailure, [this] { return stopping_; });
    compact_wanted_ = false;
  }
}

}  // namespace mtedge::backend::embedded::storage
