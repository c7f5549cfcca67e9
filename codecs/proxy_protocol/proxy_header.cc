#include "codecs/proxy_protocol/proxy_header.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace mtedge::codecs::proxy_protocol {

namespace {

using State = ParseResult::State;

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr uint8_t kV2Signature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                      0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

ParseResult need_more() {
  return {};
}
ParseResult error(std::string what) {
  ParseResult r;
  r.state = State::kError;
  r.error = std::move(what);
  return r;
}
ParseResult done(const ProxyHeader& header) {
  ParseResult r;
  r.state = State::kDone;
  r.header = header;
  return r;
}

// A decimal port: 1-5 digits, no leading zero (but "0"), at most 65535.
bool parse_port(std::string_view text, uint16_t& out) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + uint32_t(c - '0');
  }
  if (value > 65535) return false;
  out = uint16_t(value);
  return true;
}

bool set_address(int family, std::string_view ip, uint16_t port, sockaddr_storage& out) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ip.empty() || ip.size() >= sizeof text || ip.find('\0') != std::string_view::npos) {
    return false;
  }
  std::memcpy(text, ip.data(), ip.size());
  std::memset(&out, 0, sizeof out);
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&out);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    return ::inet_pton(AF_INET, text, &in->sin_addr) == 1;
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  return ::inet_pton(AF_INET6, text, &in6->sin6_addr) == 1;
}

// "PROXY TCP4 <src> <dst> <sport> <dport>\r\n", "PROXY TCP6 ...", "PROXY UNKNOWN ...\r\n".
ParseResult parse_v1(ByteView bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()),
                              std::min(bytes.size(), kMaxV1Bytes));
  const size_t prefix = std::min(text.size(), kV1Prefix.size());
  if (text.substr(0, prefix) != kV1Prefix.substr(0, prefix)) return error("not a PROXY header");
  // A LF must end the line right after its CR: a bare LF is a broken line, refused at once.
  if (const size_t lf = text.find('\n');
      lf != std::string_view::npos && (lf == 0 || text[lf - 1] != '\r')) {
    return error("v1: LF without CR");
  }
  const size_t end = text.find("\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() >= kMaxV1Bytes) return error("v1: no CRLF within 107 bytes");
    // A lone CR must be the last byte so far: anything else is a broken line.
    const size_t cr = text.find('\r');
    if (cr != std::string_view::npos && cr + 1 != text.size()) return error("v1: CR without LF");
    return need_more();
  }
  std::string_view line = text.substr(kV1Prefix.size(), end - kV1Prefix.size());
  if (line.find('\r') != std::string_view::npos) return error("v1: CR without LF");
  ProxyHeader header;
  header.version = 1;
  header.length = end + 2;
  if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) return done(header);
  std::string_view fields[5];
  for (size_t i = 0; i < 5; ++i) {
    const size_t space = line.find(' ');
    if ((space == std::string_view::npos) != (i == 4)) return error("v1: expected 6 fields");
    fields[i] = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  }
  int family = 0;
  if (fields[0] == "TCP4") {
    family = AF_INET;
  } else if (fields[0] == "TCP6") {
    family = AF_INET6;
  } else {
    return error("v1: unknown protocol (TCP4, TCP6 or UNKNOWN)");
  }
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  if (!parse_port(fields[3], source_port) || !parse_port(fields[4], destination_port)) {
    return error("v1: bad port");
  }
  if (!set_address(family, fields[1], source_port, header.source) ||
      !set_address(family, fields[2], destination_port, header.destination)) {
    return error("v1: bad address");
  }
  header.has_address = true;
  return done(header);
}

ParseResult parse_v2(ByteView bytes) {
  const size_t prefix = std::min(bytes.size(), sizeof kV2Signature);
  if (std::memcmp(bytes.data(), kV2Signature, prefix) != 0) return error("not a PROXY header");
  if (bytes.size() < kV2HeadBytes) return need_more();
  const uint8_t version_command = bytes[12];
  if ((version_command >> 4) != 2) return error("v2: unknown version");
  const uint8_t command = version_command & 0x0f;
  if (command > 1) return error("v2: unknown command");
  const uint8_t family = bytes[13];
  const size_t length = kV2HeadBytes + ((size_t(bytes[14]) << 8) | bytes[15]);
  if (length > kMaxV2Bytes) return error("v2: header longer than 4096 bytes");
  if (bytes.size() < length) return need_more();
  ProxyHeader header;
  header.version = 2;
  header.length = length;
  if (command == 0) return done(header);  // LOCAL: the balancer's own connection
  const uint8_t address_family = family >> 4;
  const uint8_t protocol = family & 0x0f;
  if (protocol == 2) return error("v2: a UDP stream");
  if (protocol > 2) return error("v2: unknown protocol");
  const uint8_t* body = bytes.data() + kV2HeadBytes;
  const size_t body_bytes = length - kV2HeadBytes;
  if (address_family == 1 || address_family == 2) {  // AF_INET, AF_INET6
    if (protocol != 1) return error("v2: an address without a protocol");
    const size_t ip_bytes = address_family == 1 ? 4 : 16;
    if (body_bytes < 2 * ip_bytes + 4) return error("v2: addresses longer than the header");
    const uint8_t* ports = body + 2 * ip_bytes;
    const uint16_t source_port = uint16_t((ports[0] << 8) | ports[1]);
    const uint16_t destination_port = uint16_t((ports[2] << 8) | ports[3]);
    auto fill = [&](const uint8_t* ip, uint16_t port, sockaddr_storage& out) {
      std::memset(&out, 0, sizeof out);
      if (address_family == 1) {
        auto* in = reinterpret_cast<sockaddr_in*>(&out);
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        std::memcpy(&in->sin_addr, ip, 4);
      } else {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        std::memcpy(&in6->sin6_addr, ip, 16);
      }
    };
    fill(body, source_port, header.source);
    fill(body + ip_bytes, destination_port, header.destination);
    header.has_address = true;
    return done(header);
  }
  if (address_family > 3) return error("v2: unknown address family");
  return done(header);  // UNSPEC or UNIX: no address to use; TLVs are skipped
}

}  // namespace

ParseResult parse_proxy_header(ByteView bytes) {
  if (bytes.empty()) return need_more();
  if (bytes[0] == 'P') return parse_v1(bytes);
  if (bytes[0] == kV2Signature[0]) return parse_v2(bytes);
  return error("not a PROXY header");
}

}  // namespace mtedge::codecs::proxy_protocol
