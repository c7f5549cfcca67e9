// libFuzzer target: a connection's whole inbound path as the gateway runs it, on raw bytes
// from byte 0 of the connection: detector (at most 64 bytes) -> [HTTP codec: POSTs are
// answered; a WebSocket upgrade continues below inside WsStreamStage] -> SecureAccept
// (obfuscated2 / fake-TLS / obfuscated2-in-WebSocket against fixed secrets, "no secret"
// allowed) -> TransportStack -> packets. Each decoded packet is answered through the stack
// (outbound stages included).
//
// Input: byte 0 picks the read sizes (0 = one read), the rest is what the client sent.
// Fixed clock: 1 800 000 000 (fake-TLS seeds must carry that timestamp).
#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <vector>

#include "codecs/detector/detector.h"
#include "codecs/framers/framers.h"
#include "codecs/http/http_server_codec.h"
#include "codecs/obfuscated/secret.h"
#include "codecs/websocket/ws_stream_stage.h"
#include "gateway/conn/secure_accept.h"
#include "tests/support/split_feed.h"

using namespace mtedge;
using namespace mtedge::codecs;

namespace {

constexpr int64_t kNow = 1'800'000'000;

const std::vector<obfuscated::Secret>& secrets() {
  static const std::vector<obfuscated::Secret> all = [] {
    std::vector<obfuscated::Secret> s;
    s.push_back(obfuscated::Secret::from_text("plain", "0123456789abcdef0123456789abcdef").value());
    s.push_back(obfuscated::Secret::from_text("dd", "dd00112233445566778899aabbccddeeff").value());
    s.push_back(obfuscated::Secret::from_text(
                    "tls", "eefedcba9876543210fedcba98765432106578616d706c652e636f6d")
                    .value());
    return s;
  }();
  return all;
}

class AnsweringSink final : public FrameSink {
 public:
  explicit AnsweringSink(TransportStack& stack) : stack_(stack) {}
  bool on_packet(MutableByteView payload, bool quick_ack) override {
    if (quick_ack) stack_.write_quick_ack(0x80000001u, out_);
    stack_.write_packet(ByteView(payload.data(), std::min<size_t>(payload.size(), 64) & ~size_t(3)),
                        false, out_);
    if (out_.size() > (1u << 16)) out_.clear();
    return true;
  }

 private:
  TransportStack& stack_;
  Bytes out_;
};

// Records requests; the driver answers them after each feed (as the gateway does later).
class HttpSink final : public http::RequestSink {
 public:
  bool on_request(const http::Request& request) override {
    ids.push_back(request.id);
    return true;
  }
  bool on_upgrade(const http::UpgradeRequest& request) override {
    upgrade_id = request.id;
    upgraded = true;
    return true;
  }
  std::vector<uint64_t> ids;
  uint64_t upgrade_id = 0;
  bool upgraded = false;
};

// The reads a socket would deliver, cut by the split byte (tests/support/split_feed.h).
std::vector<Bytes> split_reads(const uint8_t* data, size_t size, uint8_t split) {
  std::vector<Bytes> reads;
  size_t pos = 0;
  for (size_t n : mtedge::test::split_sizes_from_byte(size, split)) {
    reads.emplace_back(data + pos, data + pos + n);
    pos += n;
  }
  return reads;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<Bytes> reads = split_reads(data + 1, size - 1, data[0]);
  const TransportSet allowed = TransportSet::all();

  Bytes peek;
  Bytes out;
  std::optional<gateway::SecureAccept> accept;
  std::optional<TransportStack> stack;
  std::optional<AnsweringSink> sink;
  FrameLimits limits;
  limits.max_frame = 64 * 1024;
  limits.first_frame_max = 16 * 1024;

  std::optional<http::HttpServerCodec> http_codec;
  HttpSink http_sink;
  gateway::SecureAcceptOptions accept_options;
  accept_options.secrets = secrets();

  auto start_stack = [&](MutableByteView rest) {
    sink.emplace(*stack);
    return stack->feed(rest, *sink) == CodecError::kNone;
  };
  // Feeds HTTP bytes; answers POSTs; on an upgrade returns the WebSocket bytes that
  // followed (moved into `ws_bytes`) and sets up SecureAccept. False: stop.
  auto feed_http = [&](MutableByteView in, Bytes& ws_bytes) {
    http::FeedResult r = http_codec->feed(in, http_sink);
    while (r.error == CodecError::kNone) {
      for (uint64_t id : http_sink.ids)
        http_codec->respond(id, ByteView(data, std::min<size_t>(size, 16)));
      http_sink.ids.clear();
      http_codec->take_output(out);
      if (out.size() > (1u << 16)) out.clear();
      if (!http_codec->needs_resume()) break;
      r = http_codec->resume(http_sink);
    }
    if (r.error != CodecError::kNone) return false;
    if (http_sink.upgraded) {
      http_codec->respond_raw(http_sink.upgrade_id, Bytes{'1', '0', '1'}, false);
      http_codec->take_output(out);
      Bytes leftover = http_codec->take_upgrade_leftover();
      ws_bytes.assign(leftover.begin(), leftover.end());
      if (r.consumed < in.size())
        ws_bytes.insert(ws_bytes.end(), in.begin() + r.consumed, in.end());
      websocket::StageOptions options;
      options.limits.max_message = 64 * 1024;
      accept.emplace(TransportKind::kWebSocket, accept_options, nullptr,
                     std::make_unique<websocket::WsStreamStage>(std::move(options)));
      http_codec.reset();
    }
    return true;
  };

  for (Bytes& read : reads) {
    MutableByteView bytes(read);
    if (!accept && !stack) {
      const size_t take = std::min(bytes.size(), detector::kMaxPeek - peek.size());
      peek.insert(peek.end(), bytes.begin(), bytes.begin() + take);
      detector::Detection d = detector::detect(ByteView(peek), allowed);
      if (d.outcome == detector::Detection::Outcome::kNeedMore) {
        if (peek.size() < detector::kMaxPeek) continue;
        return 0;
      }
      if (d.matched(TransportKind::kHttp)) {
        http_codec.emplace();
        Bytes first(peek);
        first.insert(first.end(), bytes.begin() + take, bytes.end());
        read.swap(first);
        bytes = MutableByteView(read);
      } else if (d.matched(TransportKind::kObfuscated) || d.matched(TransportKind::kFakeTls)) {
        accept.emplace(d.transport, accept_options, nullptr);
        Bytes first(peek);
        first.insert(first.end(), bytes.begin() + take, bytes.end());
        read.swap(first);
        bytes = MutableByteView(read);
      } else if (d.outcome == detector::Detection::Outcome::kMatched && has_framer(d.transport)) {
        stack.emplace(make_framer(d.transport, Role::kServer, 1), limits);
        Bytes rest(peek.begin() + std::min(d.consume, peek.size()), peek.end());
        rest.insert(rest.end(), bytes.begin() + take, bytes.end());
        if (!start_stack(MutableByteView(rest))) return 0;
        continue;
      } else {
        return 0;  // unknown / HTTP: not this target's business
      }
    }
    Bytes ws_bytes;
    if (http_codec) {
      if (!feed_http(bytes, ws_bytes)) return 0;
      if (!accept) continue;
      bytes = MutableByteView(ws_bytes);
      if (bytes.empty()) continue;
    }
    if (accept) {
      switch (accept->feed(bytes, kNow, out)) {
        case gateway::SecureAccept::Step::kNeedMore: continue;
        case gateway::SecureAccept::Step::kError:
          // What may go to the fronting server is exactly what was fed.
          if (accept->can_front() && accept->raw().empty()) std::abort();
          return 0;
        case gateway::SecureAccept::Step::kDone: break;
      }
      accept->build_stack(stack, limits, 1);
      Bytes rest(accept->rest().begin(), accept->rest().end());
      accept.reset();
      if (!start_stack(MutableByteView(rest))) return 0;
      continue;
    }
    if (stack->feed(bytes, *sink) != CodecError::kNone) return 0;
  }
  return 0;
}
