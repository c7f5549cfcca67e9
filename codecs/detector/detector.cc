#include "codecs/detector/detector.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string_view>

#include "codecs/abridged/abridged.h"
#include "codecs/full/full.h"
#include "codecs/intermediate/intermediate.h"
#include "codecs/intermediate/padded.h"

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

Verdict http_rule(ByteView b) {
  return any_prefix(b, {"POST", "GET ", "HEAD", "OPTI"});
}

// Full: the first frame's seqno, bytes [4..8), is 0.
Verdict full_rule(ByteView b) {
  for (size_t i = 4; i < std::min<size_t>(b.size(), 8); ++i) {
    if (b[i] != 0) return no();
  }
  return b.size() >= 8 ? yes() : maybe(8);
}

// Obfuscated2: any 64 bytes, except what clients never generate as a header (first byte
// 0xef, the tags, the HTTP verbs, 16 03 01 02, a zero second word), so a disabled earlier
// transport does not make us wait for 64 bytes that can only be rejected.
Verdict obfuscated_rule(ByteView b) {
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

}  // namespace

Detection detect(ByteView b, const AllowedTransports& allowed) {
  struct Rule {
    bool enabled;
    Detected kind;
    size_t consume;
    Verdict verdict;
  };
  // §1.5 order. Rules are cheap; evaluating them all keeps the order in one place.
  const std::array<Rule, 7> rules = {{
      {allowed.abridged, Detected::kAbridged, 1, prefix(b, kAbridgedTag)},
      {allowed.intermediate, Detected::kIntermediate, 4, prefix(b, kIntermediateTag)},
      {allowed.padded, Detected::kPadded, 4, prefix(b, kPaddedTag)},
      {allowed.http, Detected::kHttp, 0, http_rule(b)},
      {allowed.fake_tls, Detected::kFakeTls, 0, prefix(b, kTlsPrefix)},
      {allowed.full, Detected::kFull, 0, full_rule(b)},
      {allowed.obfuscated, Detected::kObfuscated, 0, obfuscated_rule(b)},
  }};
  for (const Rule& rule : rules) {
    if (!rule.enabled || rule.verdict.kind == Verdict::kNo) continue;
    // An earlier rule that may still match outranks every later one: wait for it.
    if (rule.verdict.kind == Verdict::kMaybe) return {Detected::kNeedMore, 0, rule.verdict.need};
    return {rule.kind, rule.consume, 0};
  }
  return {Detected::kUnknown, 0, 0};
}

const char* detected_name(Detected kind) {
  switch (kind) {
    case Detected::kNeedMore: return "need_more";
    case Detected::kAbridged: return "abridged";
    case Detected::kIntermediate: return "intermediate";
    case Detected::kPadded: return "padded";
    case Detected::kFull: return "full";
    case Detected::kHttp: return "http";
    case Detected::kFakeTls: return "fake_tls";
    case Detected::kObfuscated: return "obfuscated";
    case Detected::kUnknown: return "unknown";
  }
  return "unknown";
}

std::unique_ptr<Framer> make_framer(TransportKind kind, Role role, uint64_t seed) {
  switch (kind) {
    case TransportKind::kAbridged: return std::make_unique<abridged::AbridgedFramer>(role);
    case TransportKind::kIntermediate:
      return std::make_unique<intermediate::IntermediateFramer>(role);
    case TransportKind::kPaddedIntermediate:
      return std::make_unique<intermediate::PaddedFramer>(role, seed);
    case TransportKind::kFull: return std::make_unique<full::FullFramer>(role);
  }
  return nullptr;
}

std::optional<TransportKind> plain_transport(Detected kind) {
  switch (kind) {
    case Detected::kAbridged: return TransportKind::kAbridged;
    case Detected::kIntermediate: return TransportKind::kIntermediate;
    case Detected::kPadded: return TransportKind::kPaddedIntermediate;
    case Detected::kFull: return TransportKind::kFull;
    default: return std::nullopt;
  }
}

}  // namespace mtedge::codecs::detector
