// The one table of transports. Every place that names a transport (the config's
// `transports` list, the detector's rules, the detections metric, logs, ConnInfo, the relay's
// `upstream_transport`, the obfuscated2 inner tags, the load generator's --transport)
// derives from the rows below; nobody spells a transport name by hand.
//
// X(id, name, framer, obfuscated2 tag, detector rule, detected as)
//   id             the TransportKind enumerator.
//   name           the one spelling: what operators write in the config, the `transport`
//                  label of mtedge_detections_total, and what logs and adapters print.
//   framer         the Framer class that frames packets in this transport, or no_framer for
//                  a transport that wraps another (obfuscated2, fake-TLS, WebSocket) or has
//                  its own exchange (HTTP). Expanded only by codecs/framers (framers.h), the
//                  one target that links every concrete framer: codecs/core stays below the
//                  codecs that depend on it, and nobody needs the detector to build a framer.
//   obfuscated2 tag  the 4-byte tag an obfuscated2 init announces for this transport inside
//                  (docs/spec/wire-notes.md §3.1), 0 if it cannot be carried inside obfuscated2.
//   detector rule  the rule in codecs/detector/detector.cc that recognises the transport's
//                  first bytes, or no_rule. Expanded only by the detector.
//   detected as    the transport the detector answers for it: itself when it has a rule;
//                  "websocket" is an HTTP request until its Upgrade header is read.
//
// Rows are in the detection order of docs/spec/wire-notes.md §1.5: the detector tries the
// rules top to bottom and the first that matches wins (an earlier rule that may still match
// makes it wait), so a new row's place in the table is its place in that order.
//
// Adding a transport: a folder codecs/<transport>/ with its codec (a Framer for a framed
// transport); one row here (and its rule in the detector if it is recognised by its first
// bytes); a test folder tests/unit/codecs/<transport>/; a fuzz target
// fuzz/codecs_<transport>_fuzz.cc listed in fuzz/CMakeLists.txt. The config, the metrics,
// the detector, the framer factory and the adapters' ConnInfo follow from the row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace mtedge::codecs {

// clang-format off
#define MTEDGE_TRANSPORTS(X)                                                                   \
  X(kAbridged,           "abridged",     abridged::AbridgedFramer,         0xefefefef,         \
    abridged_rule,     kAbridged)                                                              \
  X(kIntermediate,       "intermediate", intermediate::IntermediateFramer, 0xeeeeeeee,         \
    intermediate_rule, kIntermediate)                                                          \
  X(kPaddedIntermediate, "padded",       intermediate::PaddedFramer,       0xdddddddd,         \
    padded_rule,       kPaddedIntermediate)                                                    \
  X(kHttp,               "http",         no_framer,                        0,                  \
    http_rule,         kHttp)                                                                  \
  X(kWebSocket,          "websocket",    no_framer,                        0,                  \
    no_rule,           kHttp)                                                                  \
  X(kFakeTls,            "fake-tls",     no_framer,                        0,                  \
    fake_tls_rule,     kFakeTls)                                                               \
  X(kFull,               "full",         full::FullFramer,                 0,                  \
    full_rule,         kFull)                                                                  \
  X(kObfuscated,         "obfuscated",   no_framer,                        0,                  \
    obfuscated_rule,   kObfuscated)
// clang-format on

enum class TransportKind : uint8_t {
#define MTEDGE_TRANSPORT_ENUM(id, name, framer, tag, rule, detected_as) id,
  MTEDGE_TRANSPORTS(MTEDGE_TRANSPORT_ENUM)
#undef MTEDGE_TRANSPORT_ENUM
};

inline constexpr size_t kTransportCount = 0
#define MTEDGE_TRANSPORT_COUNT(id, name, framer, tag, rule, detected_as) +1
    MTEDGE_TRANSPORTS(MTEDGE_TRANSPORT_COUNT)
#undef MTEDGE_TRANSPORT_COUNT
    ;

// The vocabulary columns of one row (the framer and the rule are expanded where they live).
struct TransportRow {
  TransportKind kind;
  std::string_view name;
  uint32_t obfuscated2_tag;  // little-endian value of the 4 tag bytes; 0 = none
  TransportKind detected_as;
};

inline constexpr TransportRow kTransports[kTransportCount] = {
#define MTEDGE_TRANSPORT_ROW(id, name, framer, tag, rule, detected_as) \
  {TransportKind::id, name, tag, TransportKind::detected_as},
    MTEDGE_TRANSPORTS(MTEDGE_TRANSPORT_ROW)
#undef MTEDGE_TRANSPORT_ROW
};

constexpr size_t index_of(TransportKind kind) {
  return static_cast<size_t>(kind);
}
constexpr const TransportRow& transport_row(TransportKind kind) {
  return kTransports[index_of(kind)];
}
constexpr std::string_view transport_name(TransportKind kind) {
  return transport_row(kind).name;
}
// The transport whose name is `name` (exactly as transport_name spells it).
std::optional<TransportKind> parse_transport(std::string_view name);
// The transport an obfuscated2 init's tag announces, if any.
std::optional<TransportKind> transport_for_obfuscated2_tag(uint32_t tag_le);
// A set of transports (a listener's `transports`, the tags an obfuscated2 acceptor allows).
class TransportSet {
 public:
  constexpr TransportSet() = default;
  constexpr TransportSet(std::initializer_list<TransportKind> kinds) {
    for (TransportKind k : kinds) add(k);
  }
  static constexpr TransportSet all() {
    TransportSet s;
    for (const TransportRow& row : kTransports) s.add(row.kind);
    return s;
  }
  constexpr bool contains(TransportKind k) const { return (bits_ >> index_of(k)) & 1u; }
  constexpr void add(TransportKind k) { bits_ |= uint16_t(1u << index_of(k)); }
  constexpr void remove(TransportKind k) { bits_ &= uint16_t(~(1u << index_of(k))); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr bool operator==(const TransportSet&) const = default;

 private:
  static_assert(kTransportCount <= 16);
  uint16_t bits_ = 0;
};

// The transports obfuscated2 can carry: the rows with a tag.
constexpr TransportSet obfuscated2_inner_transports() {
  TransportSet set;
  for (const TransportRow& row : kTransports) {
    if (row.obfuscated2_tag != 0) set.add(row.kind);
  }
  return set;
}

// "abridged, intermediate, ...": the names of the transports in `set`, in table order.
std::string transport_names(TransportSet set = TransportSet::all());

}  // namespace mtedge::codecs
