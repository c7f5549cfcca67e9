#include "files/durable_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <utility>

namespace mtedge::files {
namespace {

Status io_error(const std::string& what, const std::string& path) {
  return Status::error(what + " [path = " + path + "]: " + std::strerror(errno));
}

std::string temp_path_of(const std::string& path) {
  return path + ".tmp";
}

}  // namespace

void ignore_file_size_signal() {
  struct sigaction current {};
  if (::sigaction(SIGXFSZ, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
    current.sa_handler = SIG_IGN;
    ::sigaction(SIGXFSZ, &current, nullptr);
  }
}

Status create_private_directories(const std::string& dir) {
  std::filesystem::path built;
  for (const auto& part : std::filesystem::path(dir)) {
    built /= part;
    if (::mkdir(built.c_str(), 0700) == 0) {
      ::chmod(built.c_str(), 0700);  // whatever the umask
    } else if (errno != EEXIST) {
      return io_error("cannot create directory", built.string());
    }
  }
  return Status::ok();
}

Status read_whole_file(const std::string& path, Bytes& out, bool& exists) {
  exists = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::ok() : io_error("cannot open", path);
  exists = true;
  struct stat st;
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[16384];
  Status status;
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = io_error("read failed", path);
    if (n <= 0) break;
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return status;
}

Result<int> open_for_append(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open for append", path);
  ::fchmod(fd, 0600);
  return fd;
}

Status lock_exclusive(int fd, const std::string& path) {
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return io_error("in use by another process (locked)", path);
    return io_error("cannot lock", path);
  }
  return Status::ok();
}

Result<int> hold_lock_file(const std::string& path) {
  const std::string lock_path = path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot open lock file", lock_path);
  // Only a plain file of our own with one name: not something another user planted (a file
  // whose lock they hold, a hard link to a file of ours that the pid write would truncate).
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
      st.st_nlink != 1) {
    ::close(fd);
    return Status::error("lock file " + lock_path +
                         " is not a plain file owned by this user with one link; remove it "
                         "(and keep the auth key file in a directory only this user can write)");
  }
  if (Status locked = lock_exclusive(fd, lock_path); !locked) {
    const bool held = errno == EWOULDBLOCK;
    char holder[32] = {};
    const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    if (!held) return locked;
    std::string pid(holder, n > 0 ? size_t(n) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    if (pid.find_first_not_of("0123456789") != std::string::npos) pid.clear();  // not ours
    return Status::error(path + " is in use by another process" +
                         (pid.empty() ? "" : " (pid " + pid + ")") + " [lock = " + lock_path + "]");
  }
  ::fchmod(fd, 0600);
  const std::string pid = std::to_string(::getpid()) + "\n";
  // The lock is what matters; the pid only names the holder to the next process.
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
  }
  return fd;
}

Status write_all(int fd, ByteView bytes) {
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Status::error(std::string("write failed: ") + std::strerror(errno));
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::ok();
}

Status append_whole(int fd, ByteView record, uint64_t good_size, bool& rolled_back) {
  rolled_back = true;
  Status status = write_all(fd, record);
  if (status) return status;
  int err = errno;
  rolled_back = truncate_to(fd, good_size).is_ok();
  errno = err;
  return Status::error("append " + status.message() +
                       (rolled_back ? " (rolled back)" : " (rollback failed)"));
}

Status truncate_to(int fd, uint64_t size) {
  while (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    if (errno == EINTR) continue;
    return Status::error(std::string("ftruncate failed: ") + std::strerror(errno));
  }
  return Status::ok();
}

Status sync_data(int fd) {
  while (::fdatasync(fd) != 0) {
    if (errno == EINTR) continue;
    return Status::error(std::string("fdatasync failed: ") + std::strerror(errno));
  }
  return Status::ok();
}

void sync_directory_of(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

FileReplacement::FileReplacement(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

FileReplacement::FileReplacement(FileReplacement&& other) noexcept
    : path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      size_(other.size_),
      committed_(other.committed_) {}

FileReplacement::~FileReplacement() {
  if (fd_ < 0) return;
  ::close(fd_);
  if (!committed_) ::unlink(temp_path_of(path_).c_str());
}

Result<FileReplacement> FileReplacement::begin(const std::string& path) {
  const std::string tmp = temp_path_of(path);
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove", tmp);
  int fd = ::open(tmp.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  ::fchmod(fd, 0600);  // whatever the umask
  return FileReplacement(path, fd);
}

Status FileReplacement::write(ByteView bytes) {
  Status st = write_all(fd_, bytes);
  if (!st) return Status::error(st.message() + " [path = " + temp_path_of(path_) + "]");
  size_ += bytes.size();
  return Status::ok();
}

Status FileReplacement::commit() {
  const std::string tmp = temp_path_of(path_);
  while (::fsync(fd_) != 0) {
    if (errno != EINTR) return io_error("fsync failed", tmp);
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) return io_error("rename failed", path_);
  committed_ = true;
  sync_directory_of(path_);
  return Status::ok();
}

int FileReplacement::release() {
  return committed_ ? std::exchange(fd_, -1) : -1;
}

Status replace_file(const std::string& path, ByteView contents) {
  auto replacement = FileReplacement::begin(path);
  if (!replacement) return replacement.status();
  if (Status st = replacement->write(contents); !st) return st;
  return replacement->commit();
}

}  // namespace mtedge::files
