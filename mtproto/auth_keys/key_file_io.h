// File primitives of the auth key file: private directories, whole-file reads, atomic
// replacement and appends that leave no partial record behind.
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/status.h"

namespace mtedge::mtproto::key_file {

// Creates every missing directory of `dir` with mode 0700 (existing ones are left as they are).
Status create_private_directories(const std::string& dir);

// Reads all of `path` into `out`; `exists` is false (and the status ok) when there is no file.
Status read_whole_file(const std::string& path, Bytes& out, bool& exists);

// Replaces `path` with `contents` atomically and durably: a fresh `path`.tmp (a stale one,
// symlink included, is unlinked first; created with O_EXCL|O_NOFOLLOW, mode 0600), fsync,
// rename, fsync of the directory.
Status replace_file(const std::string& path, ByteView contents);

// Takes the exclusive lock `path`.lock (created 0600; flock, held until the returned fd is
// closed or the process ends) and writes this process's pid into it. Fails, naming the pid
// written there, when another process (or another open store in this one) holds it: two
// processes must never append to and compact the same auth key file.
Result<int> lock_exclusive(const std::string& path);

// Opens `path` for appends (mode 0600 enforced; a symlink is refused).
Result<int> open_for_append(const std::string& path);

// Writes `record` at the end of `fd` (opened O_APPEND, `good_size` bytes long). On any failure
// (ENOSPC, EFBIG, EIO, ...) the file is cut back to `good_size`; `rolled_back` says whether
// that worked (when not, the file ends in a partial record until something truncates it).
Status append_whole(int fd, ByteView record, uint64_t good_size, bool& rolled_back);

}  // namespace mtedge::mtproto::key_file
