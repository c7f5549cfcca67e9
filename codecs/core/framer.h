// The framing core every TCP transport implements (abridged, intermediate, padded, full).
//
// A Framer is sans-io: it never touches a socket, a clock or a logger. It parses at most
// one unit from the front of a contiguous buffer and reports how many bytes that unit
// occupies, or how many bytes in all it needs before it can tell. Buffering across reads,
// size caps and error stickiness live in FrameReader (frame_reader.h), shared by all.
//
// Roles: a Framer in Role::kServer parses what a client sends (packets, with the quick-ack
// request bit) and encodes what a server sends (packets, quick-ack tokens, transport
// errors). Role::kClient is the mirror image, used by the relay adapter towards its
// upstream, by the load generator and by tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "codecs/core/codec_error.h"
#include "codecs/core/transport.h"

namespace mtedge::codecs {

enum class Role : uint8_t { kServer, kClient };

struct ParseResult {
  enum class Kind : uint8_t {
    kNeedMore,        // `size` = total bytes needed from the front before parse can decide
    kPacket,          // a packet: payload = in[payload_offset, payload_offset + payload_size)
    kQuickAck,        // client role: a quick-ack token from the server (`value`)
    kTransportError,  // client role: a transport error packet from the server (`value`)
    kSkip,            // a unit that carries nothing (e.g. a padded NOP): just consume `size`
    kError,           // malformed input: `error`
  };
  Kind kind = Kind::kNeedMore;
  size_t size = 0;  // bytes the unit occupies (or needs, for kNeedMore)
  size_t payload_offset = 0;
  size_t payload_size = 0;
  bool quick_ack = false;  // server role: the client asked for a quick ack
  int32_t value = 0;       // quick-ack token (as uint32 bits) or transport error code
  CodecError error = CodecError::kNone;

  static ParseResult need(size_t total) { return {Kind::kNeedMore, total}; }
  static ParseResult fail(CodecError e) {
    ParseResult r;
    r.kind = Kind::kError;
    r.error = e;
    return r;
  }
};

class Framer {
 public:
  virtual ~Framer() = default;
  virtual TransportKind kind() const = 0;

  // Parses at most one unit from the front of `in`. Reads only in[0, in.size()). Must not
  // keep pointers into `in`. May mutate state (full transport's seqno) only when it returns
  // a complete unit. `in` is mutable so a framer may verify in place without copying.
  virtual ParseResult parse(MutableByteView in) = 0;

  // Appends one packet to `out`. `quick_ack_request` is honoured only in client role.
  virtual void encode_packet(ByteView payload, bool quick_ack_request, Bytes& out) = 0;
  // Server role: appends a quick-ack token as this transport sends it.
  virtual void encode_quick_ack(uint32_t token, Bytes& out) = 0;
  // Server role: appends a transport error packet (code is negative, e.g. -404).
  virtual void encode_transport_error(int32_t code, Bytes& out) = 0;
  // Client role: appends the bytes that announce the transport (0xef, 0xeeeeeeee, ...), if any.
  virtual void encode_tag(Bytes& out) = 0;

  // Bytes encode_packet adds around a payload at most (header + trailer + padding).
  virtual size_t max_overhead() const = 0;
};

}  // namespace mtedge::codecs
