// Micro-benchmarks of the plain TCP framers: decode (through FrameReader, the way the
// gateway reads) and encode, for 64 B and 16 KiB payloads. Each decode iteration feeds a
// buffer of many frames in one read, so per-frame numbers include the reader's loop.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>

#include "codecs/common/frame_reader.h"
#include "codecs/detector/detector.h"

namespace {

using namespace mtedge::codecs;

class CountingSink final : public FrameSink {
 public:
  bool on_packet(MutableByteView payload, bool) override {
    bytes += payload.size();
    return true;
  }
  size_t bytes = 0;
};

Bytes payload_of(size_t size) {
  Bytes p(size);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(i * 31 + 7);
  return p;
}

// ~256 KiB of client->server frames.
Bytes client_stream(TransportKind kind, size_t size, size_t& frames) {
  auto client = detector::make_framer(kind, Role::kClient, 1);
  Bytes payload = payload_of(size);
  Bytes out;
  frames = std::max<size_t>(1, (256 * 1024) / size);
  for (size_t i = 0; i < frames; ++i) client->encode_packet(payload, false, out);
  return out;
}

void BM_Decode(benchmark::State& state, TransportKind kind) {
  const size_t size = static_cast<size_t>(state.range(0));
  size_t frames = 0;
  const Bytes stream = client_stream(kind, size, frames);
  Bytes buffer;
  CountingSink sink;
  for (auto _ : state) {
    state.PauseTiming();
    buffer = stream;  // the reader may verify in place; start from pristine bytes
    auto server = detector::make_framer(kind, Role::kServer, 1);
    FrameReader reader(*server, {});
    state.ResumeTiming();
    if (reader.feed(buffer, sink) != CodecError::kNone) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(sink.bytes);
  }
  state.SetItemsProcessed(int64_t(state.iterations() * frames));
  state.SetBytesProcessed(int64_t(state.iterations() * frames * size));
}

void BM_Encode(benchmark::State& state, TransportKind kind) {
  const size_t size = static_cast<size_t>(state.range(0));
  const Bytes payload = payload_of(size);
  auto server = detector::make_framer(kind, Role::kServer, 1);
  Bytes out;
  out.reserve(size + 64);
  for (auto _ : state) {
    out.clear();
    server->encode_packet(payload, false, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetBytesProcessed(int64_t(state.iterations() * size));
}

#define MTEDGE_CODEC_BENCH(name, kind)                                           \
  BENCHMARK_CAPTURE(BM_Decode, name, TransportKind::kind)->Arg(64)->Arg(16384); \
  BENCHMARK_CAPTURE(BM_Encode, name, TransportKind::kind)->Arg(64)->Arg(16384);

MTEDGE_CODEC_BENCH(abridged, kAbridged)
MTEDGE_CODEC_BENCH(intermediate, kIntermediate)
MTEDGE_CODEC_BENCH(padded, kPaddedIntermediate)
MTEDGE_CODEC_BENCH(full, kFull)

}  // namespace

BENCHMARK_MAIN();
