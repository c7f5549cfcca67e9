#include "backend-adapters/embedded/storage/record_log.h"

#include <spdlog/spdlog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "files/durable_file.h"

namespace mtedge::backend::embedded::storage {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kFirstRetry = 100ms;
constexpr std::chrono::milliseconds kMaxRetry = 5000ms;
constexpr size_t kSnapshotChunk = 1u << 20;     // compaction writes the snapshot in chunks this big
constexpr size_t kSpareBufferBytes = 4u << 20;  // the largest batch buffer kept for the queue

Status tagged(const Status& status, const std::string& path) {
  if (status) return status;
  const bool named = status.message().find("[path = ") != std::string::npos;
  return Status::error("record log: " + status.message() + (named ? "" : " [path = " + path + "]"));
}

// Where the first `count` whole records of `encoded` end.
size_t offset_after(const Bytes& encoded, uint64_t count) {
  size_t offset = 0;
  for (uint64_t i = 0; i < count && offset < encoded.size(); ++i)
    offset += encoded_record_size(&encoded[offset]);
  return offset;
}

// Reads and parses the whole file behind `fd` (mapped, not copied).
Status recover(int fd, const std::string& path, const std::function<void(ByteView)>& replay,
               ParseReport& report) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return Status::error("cannot stat [path = " + path + "]: " + std::strerror(errno));
  const auto size = static_cast<size_t>(st.st_size);
  if (size == 0) return parse({}, replay, report);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED)
    return Status::error("cannot map [path = " + path + "]: " + std::strerror(errno));
  Status parsed = parse({static_cast<const uint8_t*>(map), size}, replay, report);
  ::munmap(map, size);
  if (!parsed) return Status::error("corrupt file [path = " + path + "]: " + parsed.message());
  return Status::ok();
}

// Cuts the file behind `fd` back to what recovery kept (a fresh header when even that was torn).
Status cut_torn_tail(int fd, const ParseReport& report, uint64_t& file_size) {
  file_size = report.good_end;
  if (report.header_torn) {
    file_size = kHeaderSize;
    if (Status st = files::truncate_to(fd, 0); !st) return st;
    if (Status st = files::write_all(fd, header()); !st) return st;
    return files::sync_data(fd);
  }
  if (report.torn_bytes == 0) return Status::ok();
  if (Status st = files::truncate_to(fd, report.good_end); !st) return st;
  return files::sync_data(fd);
}

}  // namespace

struct RecordLog::Switch {
  files::FileReplacement* file = nullptr;
  uint64_t cut = 0;
  Status result;
  bool done = false;
};

Result<std::unique_ptr<RecordLog>> RecordLog::open(RecordLogOptions options,
                                                   const std::function<void(ByteView)>& replay) {
  const std::string path = options.path;
  if (path.empty()) return Status::error("record log: no path");
  if (options.max_record_bytes == 0 || options.max_record_bytes > kMaxRecordBytes)
    return Status::error("record log: max_record_bytes must be 1.." +
                         std::to_string(kMaxRecordBytes) + " [path = " + path + "]");
  files::ignore_file_size_signal();
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (!dir.empty())
    if (Status st = files::create_private_directories(dir); !st) return tagged(st, path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return Status::error("record log: cannot stat [path = " + path +
                           "]: " + std::strerror(errno));
    if (Status created = files::replace_file(path, header()); !created)
      return tagged(created, path);
  }
  auto opened = files::open_for_append(path);
  if (!opened) return tagged(opened.status(), path);
  const int fd = opened.value();
  ParseReport report;
  uint64_t file_size = 0;
  Status status = files::lock_exclusive(fd, path);
  if (status) status = recover(fd, path, replay, report);
  if (status) status = tagged(cut_torn_tail(fd, report, file_size), path);
  if (!status) {
    ::close(fd);
    return tagged(status, path);
  }
  if (report.torn_bytes > 0)
    spdlog::warn("record log: truncated a torn tail [path = {}, offset = {}, size = {}]", path,
                 report.good_end, report.torn_bytes);
  for (const SkippedRange& r : report.skipped)
    spdlog::warn("record log: skipped a damaged record [path = {}, offset = {}, size = {}]", path,
                 r.offset, r.size);
  std::unique_ptr<RecordLog> log(new RecordLog(std::move(options), fd, file_size));
  log->recovery_ = {report.records, std::move(report.skipped), report.torn_bytes};
  log->writer_ = std::thread([l = log.get()] { l->writer_loop(); });
  return log;
}

RecordLog::RecordLog(RecordLogOptions options, int fd, uint64_t file_size)
    : options_(std::move(options)), fd_(fd), file_size_(file_size) {}

RecordLog::~RecordLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
  ::close(fd_);
}

Result<uint64_t> RecordLog::append(ByteView record) {
  if (record.size() > options_.max_record_bytes)
    return Status::error("record log: record too large [size = " + std::to_string(record.size()) +
                         ", max = " + std::to_string(options_.max_record_bytes) + "]");
  uint64_t lsn = 0;
  {
    std::lock_guard lock(mu_);
    const size_t start = pending_.size();
    append_record(record, pending_);
    if (capturing_)
      capture_.insert(capture_.end(), pending_.begin() + ptrdiff_t(start), pending_.end());
    lsn = ++last_lsn_;
  }
  wake_.notify_one();
  return lsn;
}

uint64_t RecordLog::last_lsn() const {
  std::lock_guard lock(mu_);
  return last_lsn_;
}

void RecordLog::when_durable(uint64_t lsn, std::function<void(bool ok)> done) {
  bool ready = false;
  {
    std::lock_guard lock(mu_);
    waiters_.emplace(lsn, std::move(done));
    ready = lsn <= durable_lsn_.load(std::memory_order_relaxed);
  }
  if (ready) wake_.notify_one();
}

void RecordLog::take_waiters(uint64_t lsn, bool ok, Callbacks& out) {
  auto end = waiters_.upper_bound(lsn);
  for (auto it = waiters_.begin(); it != end; ++it) out.emplace_back(std::move(it->second), ok);
  waiters_.erase(waiters_.begin(), end);
}

void RecordLog::run(Callbacks& callbacks) {
  for (auto& [done, ok] : callbacks) done(ok);
  callbacks.clear();
}

Status RecordLog::write_batch(ByteView batch, size_t& durable_records) {
  durable_records = 0;
  size_t offset = 0;
  while (offset < batch.size()) {
    // With group commit, the whole batch in one write and one sync; else record by record.
    size_t end = offset;
    size_t records = 0;
    do {
      end += encoded_record_size(&batch[end]);
      ++records;
    } while (options_.group_commit && end < batch.size());
    if (tail_dirty_) {
      if (Status st = files::truncate_to(fd_, file_size_); !st) return st;
      tail_dirty_ = false;
    }
    bool rolled_back = true;
    Status st =
        files::append_whole(fd_, batch.subspan(offset, end - offset), file_size_, rolled_back);
    if (st) {
      if (options_.before_sync) options_.before_sync();
      syncs_.fetch_add(1, std::memory_order_relaxed);
      st = files::sync_data(fd_);
      // The kernel may have dropped the pages: cut the unsynced bytes and write them again.
      if (!st) rolled_back = files::truncate_to(fd_, file_size_).is_ok();
    }
    if (!st) {
      tail_dirty_ = !rolled_back;
      return st;
    }
    file_size_ += end - offset;
    offset = end;
    durable_records += records;
    Callbacks ready;
    {
      std::lock_guard lock(mu_);
      durable_lsn_.store(durable_lsn_.load(std::memory_order_relaxed) + records,
                         std::memory_order_release);
      take_waiters(durable_lsn_.load(std::memory_order_relaxed), true, ready);
    }
    run(ready);
  }
  return Status::ok();
}

void RecordLog::writer_loop() {
  Bytes spare;
  std::unique_lock lock(mu_);
  while (true) {
    Callbacks ready;
    take_waiters(durable_lsn_.load(std::memory_order_relaxed), true, ready);
    if (!ready.empty()) {
      lock.unlock();
      run(ready);
      lock.lock();
      continue;
    }
    if (switch_ != nullptr) {
      finish_switch(lock);
      continue;
    }
    const bool backing_off =
        retry_delay_.count() > 0 && !stopping_ && std::chrono::steady_clock::now() < retry_at_;
    if (!pending_.empty() && !backing_off) {
      // The queue continues in the last batch's buffer (its capacity kept, unless it grew big).
      Bytes batch = std::move(spare);
      batch.clear();
      batch.swap(pending_);
      const uint64_t batch_last = last_lsn_;
      lock.unlock();
      size_t durable_records = 0;
      Status st = write_batch(batch, durable_records);
      lock.lock();
      if (st) {
        retry_delay_ = {};
        if (batch.capacity() <= kSpareBufferBytes) spare = std::move(batch);
        continue;
      }
      // The rest of the batch goes back in front of what was appended meanwhile.
      const size_t done_bytes = offset_after(batch, durable_records);
      pending_.insert(pending_.begin(), batch.begin() + ptrdiff_t(done_bytes), batch.end());
      retry_delay_ = std::clamp(retry_delay_ * 2, kFirstRetry, kMaxRetry);
      retry_at_ = std::chrono::steady_clock::now() + retry_delay_;
      Callbacks failed;
      take_waiters(batch_last, false, failed);
      const uint64_t durable = durable_lsn_.load(std::memory_order_relaxed);
      lock.unlock();
      spdlog::warn(
          "record log: write failed, records {}..{} not durable, retrying in {} ms "
          "[path = {}]: {}",
          durable + 1, batch_last, retry_delay_.count(), options_.path, st.message());
      run(failed);
      lock.lock();
      if (stopping_) break;  // the close's last attempt failed too
      continue;
    }
    if (stopping_) break;
    if (backing_off) {
      wake_.wait_until(lock, retry_at_);
    } else {
      wake_.wait(lock);
    }
  }
  if (!pending_.empty())
    spdlog::error("record log: closed with records {}..{} not written [path = {}]",
                  durable_lsn_.load() + 1, last_lsn_, options_.path);
  Callbacks left;
  take_waiters(UINT64_MAX, false, left);
  lock.unlock();
  run(left);
}

Status RecordLog::compact(const Snapshot& snapshot) {
  std::lock_guard one_at_a_time(compact_mu_);
  auto file = files::FileReplacement::begin(options_.path);
  if (!file) return tagged(file.status(), options_.path);
  if (Status st = files::lock_exclusive(file->fd(), options_.path); !st)
    return tagged(st, options_.path);
  uint64_t first_cut = 0;
  {
    std::lock_guard lock(mu_);
    capturing_ = true;
    capture_from_ = first_cut = last_lsn_;
    capture_.clear();
  }
  Status status;
  Bytes buffer = header();
  const Emit emit = [&](ByteView record) {
    if (!status) return;
    if (record.size() > options_.max_record_bytes) {
      status =
          Status::error("snapshot record too large [size = " + std::to_string(record.size()) + "]");
      return;
    }
    append_record(record, buffer);
    if (buffer.size() < kSnapshotChunk) return;
    status = file->write(buffer);
    buffer.clear();
  };
  const uint64_t cut = snapshot(emit);
  if (status && !buffer.empty()) status = file->write(buffer);
  std::unique_lock lock(mu_);
  if (status && (cut < first_cut || cut > last_lsn_))
    status = Status::error(std::string("snapshot cut ").append(std::to_string(cut)) + " outside " +
                           std::to_string(first_cut) +
                           std::string("..").append(std::to_string(last_lsn_)));
  if (!status) {
    capturing_ = false;
    capture_ = Bytes{};
    return tagged(status, options_.path);
  }
  Switch handover{&file.value(), cut, Status::ok(), false};
  switch_ = &handover;
  wake_.notify_one();
  switched_.wait(lock, [&] { return handover.done; });
  return tagged(handover.result, options_.path);
}

void RecordLog::finish_switch(std::unique_lock<std::mutex>& lock) {
  Switch& handover = *switch_;
  // The new file holds the snapshot (records up to the cut); it needs the records after it.
  const uint64_t last = last_lsn_;
  const size_t skip = offset_after(capture_, handover.cut - capture_from_);
  Bytes tail(capture_.begin() + ptrdiff_t(skip), capture_.end());
  capturing_ = false;
  capture_ = Bytes{};
  lock.unlock();
  Status st = handover.file->write(tail);
  if (st) st = handover.file->commit();
  lock.lock();
  if (st) {
    ::close(fd_);
    file_size_ = handover.file->size();
    fd_ = handover.file->release();
    tail_dirty_ = false;
    // pending_ holds the records after durable_lsn_; those up to `last` are in the new file.
    const uint64_t durable = durable_lsn_.load(std::memory_order_relaxed);
    pending_.erase(pending_.begin(),
                   pending_.begin() + ptrdiff_t(offset_after(pending_, last - durable)));
    durable_lsn_.store(last, std::memory_order_release);
    retry_delay_ = {};
  }
  handover.result = std::move(st);
  handover.done = true;
  switch_ = nullptr;
  switched_.notify_all();
}

}  // namespace mtedge::backend::embedded::storage
