// libFuzzer target: the transport detector. Byte 0 picks the allowed transports; the rest
// is what a client sent. Checks the detector's contract on every prefix (up to 64 bytes),
// then hands a plain transport's stream to its server-role framer.
#include <cstdlib>

#include "codecs/detector/detector.h"
#include "fuzz/codec_fuzz_driver.h"

using namespace mtedge;
using namespace mtedge::codecs;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  ++data;
  --size;
  detector::AllowedTransports allowed;
  allowed.abridged = !(flags & 1);
  allowed.intermediate = !(flags & 2);
  allowed.padded = !(flags & 4);
  allowed.full = !(flags & 8);
  allowed.obfuscated = !(flags & 16);
  allowed.fake_tls = !(flags & 32);
  allowed.http = !(flags & 64);

  const size_t peek = std::min(size, detector::kMaxPeek);
  detector::Detection decided;
  size_t decided_at = 0;
  for (size_t n = 0; n <= peek; ++n) {
    detector::Detection d = detector::detect(ByteView(data, n), allowed);
    if (d.kind == detector::Detected::kNeedMore) {
      // Waiting is only for more bytes, never beyond the peek limit, never after a decision.
      if (d.need <= n || d.need > detector::kMaxPeek) std::abort();
      if (decided.kind != detector::Detected::kNeedMore) std::abort();
      continue;
    }
    if (d.consume > n) std::abort();
    if (decided.kind == detector::Detected::kNeedMore) {
      decided = d;
      decided_at = n;
    } else if (d.kind != decided.kind || d.consume != decided.consume) {
      std::abort();  // a decision never changes with more bytes
    }
  }
  (void)decided_at;
  if (auto kind = detector::plain_transport(decided.kind)) {
    auto framer = detector::make_framer(*kind, Role::kServer, flags);
    FrameLimits limits;
    limits.max_frame = 64 * 1024;
    limits.first_frame_max = 4 * 1024;
    FrameReader reader(*framer, limits);
    fuzz::RoundTripSink sink(*kind, Role::kServer);
    fuzz::feed_split(reader, sink, data + decided.consume, size - decided.consume, flags);
  }
  return 0;
}
