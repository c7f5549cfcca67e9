#include "codecs/detector/detector.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string_view>

namespace mtedge::codecs::detector {
namespace {

// What one rule of the docs/spec/wire-notes.md §1.5 order says about the bytes seen so far.
struct Verdict {
  enum Kind { kNo, kYes, kMaybe } kind;
  size_t need = 0;  // kMaybe: total bytes the rule needs to decide
};
constexpr Verdict no() {
  return {Verdict::kNo};
}
constexpr Verdict yes() {
  return {Verdict::kYes};
}
constexpr Verdict maybe(size_t need) {
  return {Verdict::kMaybe, need};
}

// Does `b` start like `word`? kMaybe while `b` is a proper prefix of it.
Verdict prefix(ByteView b, std::string_view word) {
  const size_t n = std::min(b.size(), word.size());
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != static_cast<uint8_t>(word[i])) return no();
  }
  return n == word.size() ? yes() : maybe(word.size());
}

Verdict any_prefix(ByteView b, std::initializer_list<std::string_view> words) {
  Verdict best = no();
  for (std::string_view w : words) {
    Verdict v = prefix(b, w);
    if (v.kind == Verdict::kYes) return v;
    if (v.kind == Verdict::kMaybe) best = v;  // all words have the same length here
  }
  return best;
}

constexpr std::string_view kAbridgedTag("\xef", 1);
constexpr std::string_view kIntermediateTag("\xee\xee\xee\xee", 4);
constexpr std::string_view kPaddedTag("\xdd\xdd\xdd\xdd", 4);
constexpr std::string_view kTlsPrefix("\x16\x03\x01", 3);

Verdict http_verdict(ByteView b) {
  return any_prefix(b, {"POST", "GET ", "HEAD", "OPTI"});
}

// Full: the first frame's seqno, bytes [4..8), is 0.
Verdict full_verdict(ByteView b) {
  for (size_t i = 4; i < std::min<size_t>(b.size(), 8); ++i) {
    if (b[i] != 0) return no();
  }
  return b.size() >= 8 ? yes() : maybe(8);
}

// Obfuscated2: any 64 bytes, except what clients never generate as a header (first byte
// 0xef, the tags, the HTTP verbs, 16 03 01 02, a zero second word), so a disabled earlier
// transport does not make us wait for 64 bytes that can only be rejected.
Verdict obfuscated_verdict(ByteView b) {
  if (!b.empty() && b[0] == 0xef) return no();
  if (b.size() >= 4) {
    const uint32_t first = load_le32(b.data());
    static constexpr std::array<uint32_t, 7> kReserved = {
        0x44414548, 0x54534f50, 0x20544547, 0x4954504f, 0xdddddddd, 0xeeeeeeee, 0x02010316};
    for (uint32_t r : kReserved) {
      if (first == r) return no();
    }
  }
  if (b.size() >= 8 && load_le32(b.data() + 4) == 0) return no();
  return b.size() >= kMaxPeek ? yes() : maybe(kMaxPeek);
}

// A rule of the table's detector column: what it says about the bytes, and the tag bytes
// to drop once it matched.
struct Rule {
  Verdict (*verdict)(ByteView);
  size_t consume;
};
constexpr Rule abridged_rule = {[](ByteView b) { return prefix(b, kAbridgedTag); }, 1};
constexpr Rule intermediate_rule = {[](ByteView b) { return prefix(b, kIntermediateTag); }, 4};
constexpr Rule padded_rule = {[](ByteView b) { return prefix(b, kPaddedTag); }, 4};
constexpr Rule http_rule = {http_verdict, 0};
constexpr Rule fake_tls_rule = {[](ByteView b) { return prefix(b, kTlsPrefix); }, 0};
constexpr Rule full_rule = {full_verdict, 0};
constexpr Rule obfuscated_rule = {obfuscated_verdict, 0};
constexpr Rule no_rule = {nullptr, 0};

// The detector column, in table (= §1.5) order.
constexpr Rule kRules[kTransportCount] = {
#define MTEDGE_TRANSPORT_RULE(id, name, framer, tag, rule, detected_as) rule,
    MTEDGE_TRANSPORTS(MTEDGE_TRANSPORT_RULE)
#undef MTEDGE_TRANSPORT_RULE
};

// The rows whose rule runs: those the allowed transports are detected as.
TransportSet enabled_rules(TransportSet allowed) {
  TransportSet enabled;
  for (const TransportRow& row : kTransports) {
    if (allowed.contains(row.kind)) enabled.add(row.detected_as);
  }
  return enabled;
}

}  // namespace

Detection detect(ByteView b, TransportSet allowed) {
  const TransportSet enabled = enabled_rules(allowed);
  for (const TransportRow& row : kTransports) {
    const Rule& rule = kRules[index_of(row.kind)];
    if (rule.verdict == nullptr || !enabled.contains(row.kind)) continue;
    const Verdict verdict = rule.verdict(b);
    if (verdict.kind == Verdict::kNo) continue;
    // An earlier rule that may still match outranks every later one: wait for it.
    if (verdict.kind == Verdict::kMaybe) {
      return {Detection::Outcome::kNeedMore, row.kind, 0, verdict.need};
    }
    return {Detection::Outcome::kMatched, row.kind, rule.consume, 0};
  }
  return {Detection::Outcome::kUnknown, TransportKind::kAbridged, 0, 0};
}

bool has_rule(TransportKind kind) {
  return kRules[index_of(kind)].verdict != nullptr;
}

}  // namespace mtedge::codecs::detector
