// libFuzzer target: a connection's whole inbound path as the gateway runs it, on raw bytes
// from byte 0 of the connection: detector (at most 64 bytes) -> SecureAccept (obfuscated2 /
// fake-TLS against fixed secrets, "no secret" allowed) -> TransportStack -> packets. Each
// decoded packet is answered through the stack (outbound stages included).
//
// Input: byte 0 picks the read sizes (0 = one read), the rest is what the client sent.
// Fixed clock: 1 800 000 000 (fake-TLS seeds must carry that timestamp).
#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <vector>

#include "codecs/detector/detector.h"
#include "codecs/obfuscated/secret.h"
#include "gateway/secure_accept.h"

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

std::vector<Bytes> split_reads(const uint8_t* data, size_t size, uint8_t split) {
  std::vector<Bytes> reads;
  uint32_t state = split;
  for (size_t pos = 0; pos < size;) {
    size_t n = size - pos;
    if (split != 0) {
      state = state * 1103515245u + 12345u;
      n = std::min<size_t>(n, 1 + (state >> 16) % (size_t(split) + 1));
    }
    reads.emplace_back(data + pos, data + pos + n);
    pos += n;
  }
  return reads;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<Bytes> reads = split_reads(data + 1, size - 1, data[0]);
  detector::AllowedTransports allowed;  // everything

  Bytes peek;
  Bytes out;
  std::optional<gateway::SecureAccept> accept;
  std::optional<TransportStack> stack;
  std::optional<AnsweringSink> sink;
  FrameLimits limits;
  limits.max_frame = 64 * 1024;
  limits.first_frame_max = 16 * 1024;

  auto start_stack = [&](MutableByteView rest) {
    sink.emplace(*stack);
    return stack->feed(rest, *sink) == CodecError::kNone;
  };

  for (Bytes& read : reads) {
    MutableByteView bytes(read);
    if (!accept && !stack) {
      const size_t take = std::min(bytes.size(), detector::kMaxPeek - peek.size());
      peek.insert(peek.end(), bytes.begin(), bytes.begin() + take);
      detector::Detection d = detector::detect(ByteView(peek), allowed);
      if (d.kind == detector::Detected::kNeedMore) {
        if (peek.size() < detector::kMaxPeek) continue;
        return 0;
      }
      if (d.kind == detector::Detected::kObfuscated || d.kind == detector::Detected::kFakeTls) {
        gateway::SecureAcceptOptions options;
        options.secrets = secrets();
        accept.emplace(d.kind == detector::Detected::kFakeTls ? gateway::SecureAccept::Kind::kFakeTls
                                                              : gateway::SecureAccept::Kind::kObfuscated,
                       options, nullptr);
        Bytes first(peek);
        first.insert(first.end(), bytes.begin() + take, bytes.end());
        read.swap(first);
        bytes = MutableByteView(read);
      } else if (auto kind = detector::plain_transport(d.kind)) {
        stack.emplace(detector::make_framer(*kind, Role::kServer, 1), limits);
        Bytes rest(peek.begin() + std::min(d.consume, peek.size()), peek.end());
        rest.insert(rest.end(), bytes.begin() + take, bytes.end());
        if (!start_stack(MutableByteView(rest))) return 0;
        continue;
      } else {
        return 0;  // unknown / HTTP: not this target's business
      }
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
