// Connected stream socket pairs for io tests: `ours` becomes a libuv stream, `peer` stays a
// plain non-blocking fd the test reads from (or stops reading from) itself.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mtedge::testing {

struct SocketPair {
  int ours = -1;
  int peer = -1;
};

inline void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// socketpair(AF_UNIX); with `buffer_bytes` > 0 both ends get send and receive buffers that
// small (the kernel's floor applies), so a peer that stops reading stalls writes quickly.
inline SocketPair unix_pair(int buffer_bytes = 0) {
  int fds[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return {};
  for (int fd : fds) {
    if (buffer_bytes > 0) {
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    }
    set_nonblocking(fd);
  }
  return {fds[0], fds[1]};
}

// A loopback TCP connection (accepted from a listener on an ephemeral port).
inline SocketPair tcp_pair() {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(listener);
    return {};
  }
  int client = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(client);
    close(listener);
    return {};
  }
  int server = accept(listener, nullptr, nullptr);
  close(listener);
  int one = 1;
  setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_nonblocking(client);
  set_nonblocking(server);
  return {client, server};
}

// Appends what `fd` has ready to `out`; returns the bytes read (0 when nothing was ready).
inline size_t read_ready(int fd, std::vector<uint8_t>& out) {
  size_t total = 0;
  uint8_t buf[64 * 1024];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return total;
    out.insert(out.end(), buf, buf + n);
    total += static_cast<size_t>(n);
  }
}

}  // namespace mtedge::testing
