// Which transport is this connection? nginx-preread style, on at most 64 bytes.
//
// detect() looks at the first bytes a client sent and tries the rules of the transport
// table (codecs/core/transport.h) in its row order, the order of docs/spec/wire-notes.md §1.5:
// abridged (0xef), intermediate (0xeeeeeeee), padded (0xdddddddd), HTTP (POST/GET /HEAD/OPTI),
// fake-TLS (16 03 01), full (bytes 4..8 == 0), else obfuscated2 once 64 bytes are there. A
// rule runs only if a transport the listener allows is detected as its row (websocket
// enables the HTTP rule); what matches nothing allowed is kUnknown.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "codecs/core/transport.h"

namespace mtedge::codecs::detector {

inline constexpr size_t kMaxPeek = 64;

struct Detection {
  enum class Outcome : uint8_t {
    kNeedMore,  // not enough bytes yet to decide (`need` = total bytes wanted)
    kMatched,   // `transport` matched
    kUnknown,   // matches nothing allowed on this listener
  };
  Outcome outcome = Outcome::kNeedMore;
  TransportKind transport = TransportKind::kAbridged;  // kMatched: a row with a rule
  size_t consume = 0;  // tag bytes to drop before the framer sees the stream
  size_t need = 0;     // kNeedMore: total bytes wanted

  bool matched(TransportKind kind) const {
    return outcome == Outcome::kMatched && transport == kind;
  }
};

// `allowed`: the listener's transports.
Detection detect(ByteView first_bytes, TransportSet allowed);

// True if the detector has a rule for `kind` (the table's detector column is not no_rule).
bool has_rule(TransportKind kind);

}  // namespace mtedge::codecs::detector
