#include "gateway/runtime/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "base/mix64.h"

namespace mtedge::gateway {

uint16_t SocketAddress::port() const {
  return address_port(get());
}

void SocketAddress::set_port(uint16_t port) {
  if (is_ipv6()) {
    reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
  }
}

Result<SocketAddress> parse_address(std::string_view text) {
  auto invalid = [&] { return Status::error("invalid address \"" + std::string(text) + "\""); };
  std::string_view host;
  std::string_view port_text;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return invalid();
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    v6 = true;
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return invalid();
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return invalid();
  }
  SocketAddress out;
  std::string host_z(host);
  if (v6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    sin6->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, host_z.c_str(), &sin6->sin6_addr) != 1) return invalid();
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
    sin->sin_family = AF_INET;
    if (inet_pton(AF_INET, host_z.c_str(), &sin->sin_addr) != 1) return invalid();
  }
  out.set_port(static_cast<uint16_t>(port));
  return out;
}

std::string format_host(const sockaddr* addr) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, buf, sizeof buf);
  } else if (addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, buf, sizeof buf);
  } else {
    return "?";
  }
  return buf;
}

uint16_t address_port(const sockaddr* addr) {
  if (addr->sa_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(addr)->sin6_port);
  if (addr->sa_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in*>(addr)->sin_port);
  return 0;
}

std::string format_address(const sockaddr* addr) {
  std::string host = format_host(addr);
  std::string port = std::to_string(address_port(addr));
  if (addr->sa_family == AF_INET6) return "[" + host + "]:" + port;
  return host + ":" + port;
}

namespace {

uint64_t load_be(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

bool ipv4_mapped(const uint8_t* a) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a, kPrefix, sizeof kPrefix) == 0;
}

}  // namespace

SourceBucket source_bucket(int family, const uint8_t* addr) {
  SourceBucket b;
  if (family == AF_INET) {
    b.family = AF_INET;
    b.prefix = load_be(addr, 4);
  } else if (family == AF_INET6 && ipv4_mapped(addr)) {
    b.family = AF_INET;
    b.prefix = load_be(addr + 12, 4);
  } else if (family == AF_INET6) {
    b.family = AF_INET6;
    b.prefix = load_be(addr, 8);
  }
  return b;
}

std::string SourceBucket::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family == AF_INET) {
    const uint32_t v4 = htonl(static_cast<uint32_t>(prefix));
    inet_ntop(AF_INET, &v4, buf, sizeof buf);
    return buf;
  }
  if (family != AF_INET6) return {};
  uint8_t v6[16] = {0};
  for (int i = 0; i < 8; ++i) v6[i] = static_cast<uint8_t>(prefix >> (56 - 8 * i));
  inet_ntop(AF_INET6, v6, buf, sizeof buf);
  return std::string(buf) + "/64";
}

size_t SourceBucketHash::operator()(const SourceBucket& b) const {
  return static_cast<size_t>(mix64(b.prefix ^ (uint64_t(b.family) << 56)));
}

Result<Cidr> parse_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string host(text.substr(0, slash));
  Cidr out;
  if (::inet_pton(AF_INET, host.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET;
  } else if (::inet_pton(AF_INET6, host.c_str(), out.bytes.data()) == 1) {
    out.family = AF_INET6;
  } else {
    return Status::error("invalid address range \"" + std::string(text) +
                         "\" (an IPv4 or IPv6 address, optionally /prefix)");
  }
  const unsigned max_bits = out.family == AF_INET ? 32 : 128;
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
        bits > max_bits) {
      return Status::error("invalid address range \"" + std::string(text) + "\" (prefix 0.." +
                           std::to_string(max_bits) + ")");
    }
  }
  out.bits = uint8_t(bits);
  for (unsigned i = bits; i < max_bits; ++i) {
    if (out.bytes[i / 8] & (0x80 >> (i % 8))) {
      return Status::error("invalid address range \"" + std::string(text) +
                           "\" (bits past the prefix are set)");
    }
  }
  return out;
}

bool Cidr::contains(int addr_family, const uint8_t* addr) const {
  if (addr_family == AF_INET6 && family == AF_INET && ipv4_mapped(addr)) {
    addr += 12;
    addr_family = AF_INET;
  }
  if (addr_family != family) return false;
  const unsigned whole = bits / 8;
  if (std::memcmp(bytes.data(), addr, whole) != 0) return false;
  if (bits % 8 == 0) return true;
  const uint8_t mask = uint8_t(0xff00 >> (bits % 8));
  return (addr[whole] & mask) == bytes[whole];
}

bool any_contains(const std::vector<Cidr>& ranges, int family, const uint8_t* addr) {
  for (const Cidr& range : ranges) {
    if (range.contains(family, addr)) return true;
  }
  return false;
}

}  // namespace mtedge::gateway
