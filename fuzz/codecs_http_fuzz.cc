// Fuzzes the HTTP server codec (and the response parser): the first two bytes pick the
// split sizes and whether requests are answered as they come, the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codecs/http/http_client_codec.h"
#include "codecs/http/http_server_codec.h"

namespace {

using namespace mtedge;
using namespace mtedge::codecs;
using namespace mtedge::codecs::http;

struct Sink : RequestSink {
  HttpServerCodec* codec = nullptr;
  bool answer = false;
  bool on_request(const Request& r) override {
    if (answer) codec->respond(r.id, r.body);
    return true;
  }
  bool on_upgrade(const UpgradeRequest& u) override {
    if (answer) codec->respond_raw(u.id, Bytes(u.key.begin(), u.key.end()), false);
    return true;
  }
};

struct Responses : ResponseSink {
  bool on_response(const Response&) override { return true; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t split = data[0];
  const uint8_t mode = data[1];
  std::vector<uint8_t> input(data + 2, data + size);

  ServerLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_uri_bytes = 64;
  limits.max_body_bytes = 4096;
  limits.max_pipelined = 1 + (mode & 3);
  HttpServerCodec codec(limits);
  Sink sink;
  sink.codec = &codec;
  sink.answer = (mode & 4) != 0;

  Bytes out;
  size_t pos = 0;
  size_t step = split == 0 ? input.size() : split;
  while (pos < input.size()) {
    size_t n = std::min(step, input.size() - pos);
    FeedResult r = codec.feed(MutableByteView(input.data() + pos, n), sink);
    if (r.consumed > n) __builtin_trap();
    pos += n;
    if (codec.upgraded() || r.error != CodecError::kNone) break;
    for (uint64_t id = codec.requests() - codec.pending(); id < codec.requests(); ++id) {
      codec.respond(id, {}, 200);
    }
    codec.take_output(out);
    if (codec.needs_resume()) codec.resume(sink);
  }
  codec.take_output(out);
  (void)codec.should_close();

  // The same bytes through the client-side response parser.
  Responses responses;
  HttpResponseParser parser;
  std::vector<uint8_t> copy(data + 2, data + size);
  parser.feed(copy, responses);
  return 0;
}
