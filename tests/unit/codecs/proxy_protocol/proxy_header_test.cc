// PROXY protocol v1 and v2 headers: whole, byte by byte and in random splits; every error.
#include "codecs/proxy_protocol/proxy_header.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <random>
#include <string>

namespace mtedge::codecs::proxy_protocol {
namespace {

using State = ParseResult::State;

Bytes bytes_of(std::string_view text) {
  return Bytes(text.begin(), text.end());
}

std::string address_text(const sockaddr_storage& address) {
  char ip[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    port = ntohs(in->sin_port);
    return std::string(ip).append(":").append(std::to_string(port));
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
  ::inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
  port = ntohs(in6->sin6_port);
  return std::string("[").append(ip).append("]:").append(std::to_string(port));
}

// A v2 header: signature, version/command, family/protocol, then `body`.
Bytes v2(uint8_t command, uint8_t family, const Bytes& body) {
  Bytes out = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
  out.push_back(uint8_t(0x20 | command));
  out.push_back(family);
  out.push_back(uint8_t(body.size() >> 8));
  out.push_back(uint8_t(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes v2_tcp4_body() {
  return {192, 0, 2, 1, 198, 51, 100, 7, 0xc0, 0x01, 0x01, 0xbb};  // 192.0.2.1:49153 -> :443
}

// Feeds `input` whole, byte by byte and in random splits (each time the bytes so far, as a
// connection would): every way must give the same final answer, and kNeedMore before it.
ParseResult parse_every_way(const Bytes& input) {
  const ParseResult whole = parse_proxy_header(input);
  for (size_t cut = 0; cut < input.size(); ++cut) {
    const ParseResult part = parse_proxy_header(ByteView(input.data(), cut));
    if (part.state != State::kNeedMore) {
      // Decided early: only a header shorter than the input, or an error, may be.
      EXPECT_EQ(part.state, whole.state) << "prefix " << cut;
      if (part.state == State::kDone) {
        EXPECT_EQ(part.header.length, whole.header.length);
        EXPECT_LE(part.header.length, cut);
      }
      if (part.state == State::kError) {
        EXPECT_EQ(part.error, whole.error);
      }
      break;
    }
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    size_t have = 0;
    ParseResult last;
    while (have < input.size()) {
      have = std::min(input.size(), have + 1 + rng() % 24);
      last = parse_proxy_header(ByteView(input.data(), have));
      if (last.state != State::kNeedMore) break;
    }
    EXPECT_EQ(last.state, whole.state);
    if (last.state == State::kDone) {
      EXPECT_EQ(last.header.length, whole.header.length);
    }
  }
  return whole;
}

TEST(ProxyHeader, V1Tcp4WithStreamBytesAfterIt) {
  const std::string header = "PROXY TCP4 192.0.2.1 198.51.100.7 49153 443\r\n";
  Bytes input = bytes_of(header + "\xef\x01\x02");
  const ParseResult r = parse_every_way(input);
  ASSERT_EQ(r.state, State::kDone) << r.error;
  EXPECT_EQ(r.header.version, 1);
  EXPECT_TRUE(r.header.has_address);
  EXPECT_EQ(r.header.length, header.size());
  EXPECT_EQ(address_text(r.header.source), "192.0.2.1:49153");
  EXPECT_EQ(address_text(r.header.destination), "198.51.100.7:443");
}

TEST(ProxyHeader, V1Tcp6) {
  const ParseResult r = parse_every_way(bytes_of("PROXY TCP6 2001:db8::1 2001:db8::2 65535 0\r\n"));
  ASSERT_EQ(r.state, State::kDone) << r.error;
  EXPECT_EQ(address_text(r.header.source), "[2001:db8::1]:65535");
  EXPECT_EQ(address_text(r.header.destination), "[2001:db8::2]:0");
}

TEST(ProxyHeader, V1UnknownHasNoAddress) {
  for (const char* text : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"}) {
    const ParseResult r = parse_every_way(bytes_of(text));
    ASSERT_EQ(r.state, State::kDone) << text;
    EXPECT_FALSE(r.header.has_address);
    EXPECT_EQ(r.header.length, std::string(text).size());
  }
}

TEST(ProxyHeader, V1LongestLinesAreAccepted) {
  const std::string addresses =
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535";
  const std::string tcp6 = "PROXY TCP6 " + addresses + "\r\n";
  EXPECT_EQ(tcp6.size(), 104u);
  EXPECT_EQ(parse_every_way(bytes_of(tcp6)).state, State::kDone);
  const std::string unknown = "PROXY UNKNOWN " + addresses + "\r\n";
  ASSERT_EQ(unknown.size(), kMaxV1Bytes);
  EXPECT_EQ(parse_every_way(bytes_of(unknown)).state, State::kDone);
  EXPECT_EQ(parse_every_way(bytes_of("PROXY UNKNOWN " + addresses + "0\r\n")).error,
            "v1: no CRLF within 107 bytes");
}

TEST(ProxyHeader, V1Errors) {
  const std::pair<std::string, std::string> cases[] = {
      {"PROXZ TCP4 1.2.3.4 5.6.7.8 1 2\r\n", "not a PROXY header"},
      {"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", "v1: unknown protocol (TCP4, TCP6 or UNKNOWN)"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", "v1: expected 6 fields"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "v1: expected 6 fields"},
      {"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", "v1: expected 6 fields"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", "v1: bad port"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", "v1: bad port"},
      {"PROXY TCP4 1.2.3.400 5.6.7.8 1 2\r\n", "v1: bad address"},
      {"PROXY TCP4 ::1 5.6.7.8 1 2\r\n", "v1: bad address"},
      {"PROXY TCP6 1.2.3.4 ::1 1 2\r\n", "v1: bad address"},
      {"PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n", "v1: CR without LF"},
      {"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", "v1: LF without CR"},
      {std::string("PROXY TCP4 1.2.3.4\0xyz 5.6.7.8 1 2\r\n", 36), "v1: bad address"},
      {"PROXY TCP4 " + std::string(120, '1'), "v1: no CRLF within 107 bytes"},
  };
  for (const auto& [text, error] : cases) {
    const ParseResult r = parse_every_way(bytes_of(text));
    EXPECT_EQ(r.state, State::kError) << text;
    EXPECT_EQ(r.error, error) << text;
  }
}

TEST(ProxyHeader, V2Tcp4WithTlvs) {
  Bytes body = v2_tcp4_body();
  const Bytes tlv = {0x04, 0x00, 0x03, 'a', 'b', 'c'};  // PP2_TYPE_NOOP, skipped
  body.insert(body.end(), tlv.begin(), tlv.end());
  Bytes input = v2(1, 0x11, body);
  const size_t length = input.size();
  input.push_back(0xef);
  const ParseResult r = parse_every_way(input);
  ASSERT_EQ(r.state, State::kDone) << r.error;
  EXPECT_EQ(r.header.version, 2);
  EXPECT_EQ(r.header.length, length);
  EXPECT_EQ(address_text(r.header.source), "192.0.2.1:49153");
  EXPECT_EQ(address_text(r.header.destination), "198.51.100.7:443");
}

TEST(ProxyHeader, V2Tcp6) {
  Bytes body(36, 0);
  body[15] = 1;  // ::1
  body[31] = 2;  // ::2
  body[32] = 0x12;
  body[33] = 0x34;
  body[35] = 80;
  const ParseResult r = parse_every_way(v2(1, 0x21, body));
  ASSERT_EQ(r.state, State::kDone) << r.error;
  EXPECT_EQ(address_text(r.header.source), "[::1]:4660");
  EXPECT_EQ(address_text(r.header.destination), "[::2]:80");
}

TEST(ProxyHeader, V2LocalUnspecAndUnixHaveNoAddress) {
  for (const Bytes& input : {v2(0, 0x00, {}), v2(0, 0x11, v2_tcp4_body()), v2(1, 0x00, {}),
                             v2(1, 0x31, Bytes(216, 0))}) {
    const ParseResult r = parse_every_way(input);
    ASSERT_EQ(r.state, State::kDone) << r.error;
    EXPECT_FALSE(r.header.has_address);
    EXPECT_EQ(r.header.length, input.size());
  }
}

TEST(ProxyHeader, V2Errors) {
  Bytes bad_version = v2(1, 0x11, v2_tcp4_body());
  bad_version[12] = 0x11;
  Bytes bad_signature = v2(1, 0x11, v2_tcp4_body());
  bad_signature[7] = 'X';
  Bytes too_long = v2(1, 0x11, Bytes(kMaxV2Bytes, 0));
  const std::pair<Bytes, std::string> cases[] = {
      {bad_signature, "not a PROXY header"},
      {bad_version, "v2: unknown version"},
      {v2(2, 0x11, v2_tcp4_body()), "v2: unknown command"},
      {v2(1, 0x12, v2_tcp4_body()), "v2: a UDP stream"},
      {v2(1, 0x13, v2_tcp4_body()), "v2: unknown protocol"},
      {v2(1, 0x41, v2_tcp4_body()), "v2: unknown address family"},
      {v2(1, 0x10, v2_tcp4_body()), "v2: an address without a protocol"},
      {v2(1, 0x11, Bytes(11, 0)), "v2: addresses longer than the header"},
      {v2(1, 0x21, Bytes(35, 0)), "v2: addresses longer than the header"},
      {too_long, "v2: header longer than 4096 bytes"},
  };
  for (const auto& [input, error] : cases) {
    const ParseResult r = parse_every_way(input);
    EXPECT_EQ(r.state, State::kError) << error;
    EXPECT_EQ(r.error, error);
  }
}

TEST(ProxyHeader, OtherStreamsAreRefusedAtTheFirstByte) {
  for (const char* text : {"\xef", "\xee\xee\xee\xee", "GET / HTTP/1.1\r\n", "\x16\x03\x01"}) {
    const ParseResult r = parse_proxy_header(bytes_of(text));
    EXPECT_EQ(r.state, State::kError) << text;
    EXPECT_EQ(r.error, "not a PROXY header");
  }
  EXPECT_EQ(parse_proxy_header({}).state, State::kNeedMore);
}

}  // namespace
}  // namespace mtedge::codecs::proxy_protocol
