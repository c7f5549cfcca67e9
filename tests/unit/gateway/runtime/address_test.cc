// Address ranges (proxy_trusted): parsing, containment, IPv4-mapped peers.
#include "gateway/runtime/address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>

namespace mtedge::gateway {
namespace {

std::array<uint8_t, 16> ip(const char* text, int& family) {
  std::array<uint8_t, 16> out{};
  family = ::inet_pton(AF_INET, text, out.data()) == 1 ? AF_INET : AF_INET6;
  if (family == AF_INET6) {
    EXPECT_EQ(::inet_pton(AF_INET6, text, out.data()), 1) << text;
  }
  return out;
}

bool contains(const char* range, const char* address) {
  auto cidr = parse_cidr(range);
  EXPECT_TRUE(cidr.is_ok()) << range << ": " << cidr.message();
  int family = 0;
  const auto bytes = ip(address, family);
  return cidr->contains(family, bytes.data());
}

TEST(Cidr, ContainsAddressesInsideItsPrefix) {
  EXPECT_TRUE(contains("10.0.0.0/8", "10.255.1.2"));
  EXPECT_FALSE(contains("10.0.0.0/8", "11.0.0.1"));
  EXPECT_TRUE(contains("192.168.4.0/22", "192.168.7.255"));
  EXPECT_FALSE(contains("192.168.4.0/22", "192.168.8.0"));
  EXPECT_TRUE(contains("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(contains("127.0.0.1", "127.0.0.2"));
  EXPECT_TRUE(contains("0.0.0.0/0", "203.0.113.5"));
  EXPECT_TRUE(contains("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(contains("2001:db8::/32", "2001:db9::1"));
  EXPECT_TRUE(contains("::1", "::1"));
  EXPECT_FALSE(contains("::/0", "10.0.0.1"));  // families do not mix...
}

TEST(Cidr, Ipv4RangesHoldIpv4MappedPeers) {
  EXPECT_TRUE(contains("10.0.0.0/8", "::ffff:10.1.2.3"));  // ...except IPv4-mapped IPv6
  EXPECT_FALSE(contains("10.0.0.0/8", "::ffff:11.1.2.3"));
}

TEST(Cidr, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(parse_cidr("10.0.0.1/8").message(),
            "invalid address range \"10.0.0.1/8\" (bits past the prefix are set)");
  EXPECT_EQ(parse_cidr("10.0.0.0/33").message(),
            "invalid address range \"10.0.0.0/33\" (prefix 0..32)");
  EXPECT_EQ(parse_cidr("::/129").message(), "invalid address range \"::/129\" (prefix 0..128)");
  EXPECT_EQ(parse_cidr("10.0.0.0/").message(),
            "invalid address range \"10.0.0.0/\" (prefix 0..32)");
  EXPECT_EQ(parse_cidr("example.com").message(),
            "invalid address range \"example.com\" (an IPv4 or IPv6 address, optionally /prefix)");
}

}  // namespace
}  // namespace mtedge::gateway
