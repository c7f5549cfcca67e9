// Durable-file primitives shared by every component that keeps a file of records (the auth key
// file, the embedded backend's record log): private directories, whole-file reads, appends that
// leave no partial record behind, fdatasync, and atomic replacement (temp file, fsync, rename,
// directory fsync). POSIX and the standard library only; no libuv, no logging.
//
// Errors name the path and the errno text: "cannot open [path = /x/y]: No such file or directory".
// Callers prefix their component ("auth key store: ...").
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::files {

// A write past RLIMIT_FSIZE raises SIGXFSZ, whose default action kills the process. This makes it
// ignored (when it still has its default action; a handler someone installed is kept), so such a
// write fails with EFBIG instead. Process-wide; every component that appends to files calls it.
void ignore_file_size_signal();

// Creates every missing directory of `dir` with mode 0700 (existing ones are left as they are).
Status create_private_directories(const std::string& dir);

// Reads all of `path` into `out`; `exists` is false (and the status ok) when there is no file.
Status read_whole_file(const std::string& path, Bytes& out, bool& exists);

// Opens `path` (which must exist) for reading and appending: O_RDWR|O_APPEND, mode 0600 enforced,
// a symlink refused.
Result<int> open_for_append(const std::string& path);

// Takes an exclusive advisory lock on `fd` (flock), failing at once when another open file
// description holds it (another process using the same file).
Status lock_exclusive(int fd, const std::string& path);

// Takes the exclusive lock `path`.lock (created 0600, a symlink refused; flock, held until the
// returned fd is closed or the process ends) and writes this process's pid into it, for files
// that are replaced by rename (a lock on the file itself would not survive the rename). Fails,
// naming the pid written there, while another process (or another open in this one) holds it.
Result<int> hold_lock_file(const std::string& path);

// Writes all of `bytes` to `fd` (EINTR and short writes retried).
Status write_all(int fd, ByteView bytes);

// Writes `record` at the end of `fd` (opened O_APPEND, `good_size` bytes long). On any failure
// (ENOSPC, EFBIG, EIO, ...) the file is cut back to `good_size`; `rolled_back` says whether
// that worked (when not, the file ends in a partial record until something truncates it).
Status append_whole(int fd, ByteView record, uint64_t good_size, bool& rolled_back);

// ftruncate with EINTR retried.
Status truncate_to(int fd, uint64_t size);

// fdatasync with EINTR retried. A failure means the written data may be lost (the kernel may
// have dropped the dirty pages): the caller must not trust what it wrote since the last sync.
Status sync_data(int fd);

// Makes a rename or create in the directory of `path` durable (best effort: fsync of the
// directory; errors are ignored, as some file systems refuse to fsync directories).
void sync_directory_of(const std::string& path);

// A replacement of `path` being written: a fresh `path`.tmp (a stale one, symlink included, is
// unlinked first; created O_EXCL|O_NOFOLLOW, mode 0600, opened for appends). commit() makes it
// durable and renames it over `path` atomically; destroyed uncommitted, the temp file is removed.
class FileReplacement {
 public:
  static Result<FileReplacement> begin(const std::string& path);
  FileReplacement(FileReplacement&& other) noexcept;
  FileReplacement& operator=(FileReplacement&&) = delete;
  ~FileReplacement();

  Status write(ByteView bytes);
  // fsync, rename over the target, fsync of the directory. The descriptor stays open (see fd()).
  Status commit();
  // The temp file's descriptor (O_RDWR|O_APPEND); after commit() it is the target's.
  int fd() const { return fd_; }
  // Bytes written so far.
  uint64_t size() const { return size_; }
  // Hands the descriptor over to the caller (who closes it); only after commit().
  int release();

 private:
  FileReplacement(std::string path, int fd);
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// Replaces `path` with `contents` atomically and durably (a FileReplacement written at once).
Status replace_file(const std::string& path, ByteView contents);

}  // namespace mtedge::files
