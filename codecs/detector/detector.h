// Which transport is this connection? nginx-preread style, on at most 64 bytes.
//
// detect() looks at the first bytes a client sent and answers in the order of
// docs/spec/wire-notes.md §1.5: abridged (0xef), intermediate (0xeeeeeeee), padded
// (0xdddddddd), HTTP (POST/GET /HEAD/OPTI), fake-TLS (16 03 01), full (bytes 4..8 == 0),
// else obfuscated2 once 64 bytes are there. A transport that is not allowed on the listener is skipped
// (it never matches); what matches nothing allowed is kUnknown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "base/bytes.h"
#include "codecs/core/framer.h"

namespace mtedge::codecs::detector {

inline constexpr size_t kMaxPeek = 64;

enum class Detected : uint8_t {
  kNeedMore,      // not enough bytes yet to decide (`need` = total bytes wanted)
  kAbridged,      // consume 1 tag byte
  kIntermediate,  // consume 4 tag bytes
  kPadded,        // consume 4 tag bytes
  kFull,          // consume nothing: the first frame starts at byte 0
  kHttp,          // hand everything to the HTTP codec
  kFakeTls,       // hand everything to the fake-TLS acceptor
  kObfuscated,    // 64 bytes are there: try the obfuscated2 init (with each secret)
  kUnknown,       // matches nothing allowed on this listener
};

struct AllowedTransports {
  bool abridged = true;
  bool intermediate = true;
  bool padded = true;
  bool full = true;
  bool obfuscated = true;
  bool fake_tls = true;
  bool http = true;
};

struct Detection {
  Detected kind = Detected::kNeedMore;
  size_t consume = 0;  // tag bytes to drop before the framer sees the stream
  size_t need = 0;     // kNeedMore: total bytes wanted
};

Detection detect(ByteView first_bytes, const AllowedTransports& allowed);

const char* detected_name(Detected kind);

// Builds the framer of a plain TCP transport. `seed` feeds the padded transport's padding
// generator (padding is not secret; it only needs to vary).
std::unique_ptr<Framer> make_framer(TransportKind kind, Role role, uint64_t seed = 0);

// The plain TCP transport a detection names (abridged, intermediate, padded, full), if any.
std::optional<TransportKind> plain_transport(Detected kind);

}  // namespace mtedge::codecs::detector
