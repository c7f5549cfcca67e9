// The PROXY protocol header (versions 1 and 2, docs/spec/proxy-protocol.md): what a load
// balancer writes at the start of a TCP stream to tell the server the client's address.
//
// Contract (sans-io): parse_proxy_header() looks at everything received so far and answers
//  - kNeedMore while the bytes are a strict prefix of a header that can still be valid,
//  - kDone with the addresses and the header's length (the stream's own bytes follow it),
//  - kError with a reason for anything else: bytes that are not a PROXY header, bad syntax,
//    a v1 line longer than 107 bytes, a v2 header longer than kMaxV2Bytes, a UDP stream.
// The answer depends only on the bytes, not on how they were split. A header without an
// address (v1 UNKNOWN, v2 LOCAL, v2 UNSPEC or UNIX families: a health check or a balancer's
// own connection) is kDone with `has_address` false: use the TCP peer's address.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/bytes.h"

namespace mtedge::codecs::proxy_protocol {

inline constexpr size_t kMaxV1Bytes = 107;   // "PROXY UNKNOWN <39> <39> 65535 65535\r\n"
inline constexpr size_t kMaxV2Bytes = 4096;  // 16-byte head + addresses + TLVs
inline constexpr size_t kV2HeadBytes = 16;

struct ProxyHeader {
  uint8_t version = 0;  // 1 or 2
  bool has_address = false;
  sockaddr_storage source{};       // the client (AF_INET or AF_INET6), when has_address
  sockaddr_storage destination{};  // the address the client connected to, when has_address
  size_t length = 0;               // header bytes to drop before the stream
};

struct ParseResult {
  enum class State : uint8_t { kNeedMore, kDone, kError };
  State state = State::kNeedMore;
  ProxyHeader header;  // kDone
  std::string error;   // kError: what is wrong, for logs
};

ParseResult parse_proxy_header(ByteView bytes);

}  // namespace mtedge::codecs::proxy_protocol
