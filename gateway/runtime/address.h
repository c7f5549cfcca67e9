// Socket addresses as the config writes them: "host:port" for IPv4, "[v6]:port" for IPv6.
// Only numeric hosts are accepted (no name resolution at startup); port 0 asks the kernel
// for a free port (tests read the bound port back from the Gateway).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace mtedge::gateway {

struct SocketAddress {
  sockaddr_storage storage{};

  bool is_ipv6() const { return storage.ss_family == AF_INET6; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  socklen_t size() const { return is_ipv6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in); }
  uint16_t port() const;
  void set_port(uint16_t port);
};

// Parses "1.2.3.4:443" or "[::1]:443". The error message has no key path; callers add it.
Result<SocketAddress> parse_address(std::string_view text);

// "1.2.3.4:443" / "[::1]:443".
std::string format_address(const sockaddr* addr);
// The host part alone ("1.2.3.4" / "::1") and the port, for ConnInfo.
std::string format_host(const sockaddr* addr);
uint16_t address_port(const sockaddr* addr);

}  // namespace mtedge::gateway
