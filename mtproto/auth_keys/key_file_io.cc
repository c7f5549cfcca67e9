#include "mtproto/auth_keys/key_file_io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace mtedge::mtproto::key_file {
namespace {

Status io_error(const std::string& what, const std::string& path) {
  return Status::error("auth key store: " + what + " [path = " + path +
                       "]: " + std::strerror(errno));
}

Status write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Status::error(std::string("write failed: ") + std::strerror(errno));
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::ok();
}

}  // namespace

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

Status replace_file(const std::string& path, ByteView contents) {
  const std::string tmp = path + ".tmp";
  if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove", tmp);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  ::fchmod(fd, 0600);
  Status status = write_all(fd, contents.data(), contents.size());
  if (status && ::fsync(fd) != 0) status = io_error("fsync failed", tmp);
  ::close(fd);
  if (status && ::rename(tmp.c_str(), path.c_str()) != 0) status = io_error("rename failed", path);
  if (!status) {
    ::unlink(tmp.c_str());
    return status;
  }
  // Make the rename durable.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

Result<int> lock_exclusive(const std::string& path) {
  const std::string lock_path = path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot open lock file", lock_path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[32] = {};
    const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) {
      errno = err;
      return io_error("cannot lock", lock_path);
    }
    std::string pid(holder, n > 0 ? size_t(n) : 0);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return Status::error("auth key store: " + path + " is in use by another mtedge process" +
                         (pid.empty() ? "" : " (pid " + pid + ")") + " [lock = " + lock_path +
                         "]; never run two processes on one auth key file");
  }
  ::fchmod(fd, 0600);
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock is what matters; the pid is only for the message of the next process.
  }
  return fd;
}

Result<int> open_for_append(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open for append", path);
  ::fchmod(fd, 0600);
  return fd;
}

Status append_whole(int fd, ByteView record, uint64_t good_size, bool& rolled_back) {
  rolled_back = true;
  Status status = write_all(fd, record.data(), record.size());
  if (status) return status;
  int err = errno;
  while (::ftruncate(fd, static_cast<off_t>(good_size)) != 0) {
    if (errno == EINTR) continue;
    rolled_back = false;
    break;
  }
  errno = err;
  return Status::error("auth key store: append " + status.message() +
                       (rolled_back ? " (rolled back)" : " (rollback failed)"));
}

}  // namespace mtedge::mtproto::key_file
