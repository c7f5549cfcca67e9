// Socket addresses as the config writes them: "host:port" for IPv4, "[v6]:port" for IPv6.
// Only numeric hosts are accepted (no name resolution at startup); port 0 asks the kernel
// for a free port (tests read the bound port back from the Gateway).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// The unit the per-source limits count by: an IPv4 address (an IPv4-mapped IPv6 address
// counts as its IPv4 address), or an IPv6 /64 prefix (one subscriber's usual allocation).
struct SourceBucket {
  uint8_t family = 0;   // AF_INET / AF_INET6; 0: unknown
  uint64_t prefix = 0;  // IPv4: the address; IPv6: the first 64 bits (both in host order)
  bool operator==(const SourceBucket&) const = default;
  // "1.2.3.4" or "2001:db8:1:2::/64" (empty when unknown).
  std::string to_string() const;
};
struct SourceBucketHash {
  size_t operator()(const SourceBucket& b) const;
};
// `addr`: 4 bytes for AF_INET, 16 for AF_INET6 (network order).
SourceBucket source_bucket(int family, const uint8_t* addr);

// An address range: "10.0.0.0/8", "2001:db8::/32", or one address ("192.0.2.7" = /32,
// "::1" = /128). IPv4 ranges also hold the IPv4-mapped IPv6 form of their addresses.
struct Cidr {
  uint8_t family = 0;               // AF_INET / AF_INET6
  std::array<uint8_t, 16> bytes{};  // network order; bits past `bits` are zero
  uint8_t bits = 0;
  // `addr`: 4 bytes for AF_INET, 16 for AF_INET6 (network order).
  bool contains(int family, const uint8_t* addr) const;
};
// Errors say what is wrong ("bits past the prefix are set", "prefix above 32", ...).
Result<Cidr> parse_cidr(std::string_view text);
bool any_contains(const std::vector<Cidr>& ranges, int family, const uint8_t* addr);

}  // namespace mtedge::gateway
