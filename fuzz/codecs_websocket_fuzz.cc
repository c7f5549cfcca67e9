// Fuzzes the WebSocket frame decoder in both roles and the server stream stage: the first
// byte picks the role and the split size, the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codecs/websocket/ws_frame.h"
#include "codecs/websocket/ws_stream_stage.h"

namespace {

using namespace mtedge;
using namespace mtedge::codecs;
using namespace mtedge::codecs::websocket;

struct Sink : DecoderSink {
  size_t bytes = 0;
  bool on_data(MutableByteView b) override {
    bytes += b.size();
    return true;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  const size_t step = (control >> 1) == 0 ? size : (control >> 1);
  DecoderLimits limits;
  limits.max_message = 1 << 16;

  {
    std::vector<uint8_t> input(data + 1, data + size);
    FrameDecoder decoder((control & 1) == 0, limits);
    Sink sink;
    for (size_t pos = 0; pos < input.size(); pos += step) {
      size_t n = std::min(step, input.size() - pos);
      if (decoder.feed(MutableByteView(input.data() + pos, n), sink) != CodecError::kNone) break;
    }
    if (sink.bytes > input.size()) __builtin_trap();
  }
  {
    std::vector<uint8_t> input(data + 1, data + size);
    StageOptions options;
    options.limits = limits;
    options.fragment_size = 1000;
    WsStreamStage stage(std::move(options));
    Bytes out;
    for (size_t pos = 0; pos < input.size(); pos += step) {
      size_t n = std::min(step, input.size() - pos);
      CodecError e = CodecError::kNone;
      MutableByteView produced = stage.inbound(MutableByteView(input.data() + pos, n), e);
      if (produced.size() > n) __builtin_trap();
      // Echo what arrived as one message, like a gateway write would.
      size_t from = out.size();
      out.insert(out.end(), produced.begin(), produced.end());
      stage.outbound(out, from);
      stage.take_pending(out);
      if (e != CodecError::kNone) break;
    }
  }
  return 0;
}
