// libFuzzer target: the transport detector. Byte 0 picks the allowed transports; the rest
// is what a client sent. Checks the detector's contract on every prefix (up to 64 bytes),
// then hands a plain transport's stream to its server-role framer.
#include <cstdlib>
#include <iterator>

#include "codecs/detector/detector.h"
#include "fuzz/codec_fuzz_driver.h"

using namespace mtedge;
using namespace mtedge::codecs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  ++data;
  --size;
  // Bit i set: the i-th of these is not allowed (the corpus was written with this order).
  static constexpr TransportKind kFlagBits[] = {
      TransportKind::kAbridged, TransportKind::kIntermediate, TransportKind::kPaddedIntermediate,
      TransportKind::kFull,     TransportKind::kObfuscated,   TransportKind::kFakeTls,
      TransportKind::kHttp,     TransportKind::kWebSocket};
  TransportSet allowed = TransportSet::all();
  for (size_t bit = 0; bit < std::size(kFlagBits); ++bit) {
    if (flags & (1u << bit)) allowed.remove(kFlagBits[bit]);
  }

  const size_t peek = std::min(size, detector::kMaxPeek);
  detector::Detection decided;
  size_t decided_at = 0;
  for (size_t n = 0; n <= peek; ++n) {
    detector::Detection d = detector::detect(ByteView(data, n), allowed);
    if (d.outcome == detector::Detection::Outcome::kNeedMore) {
      // Waiting is only for more bytes, never beyond the peek limit, never after a decision.
      if (d.need <= n || d.need > detector::kMaxPeek) std::abort();
      if (decided.outcome != detector::Detection::Outcome::kNeedMore) std::abort();
      continue;
    }
    if (d.consume > n) std::abort();
    if (decided.outcome == detector::Detection::Outcome::kNeedMore) {
      decided = d;
      decided_at = n;
    } else if (d.outcome != decided.outcome || d.transport != decided.transport ||
               d.consume != decided.consume) {
      std::abort();  // a decision never changes with more bytes
    }
  }
  (void)decided_at;
  if (decided.outcome == detector::Detection::Outcome::kMatched && has_framer(decided.transport)) {
    const TransportKind kind = decided.transport;
    auto framer = make_framer(kind, Role::kServer, flags);
    FrameLimits limits;
    limits.max_frame = 64 * 1024;
    limits.first_frame_max = 4 * 1024;
    FrameReader reader(*framer, limits);
    fuzz::RoundTripSink sink(kind, Role::kServer);
    fuzz::feed_split(reader, sink, data + decided.consume, size - decided.consume, flags);
  }
  return 0;
}
