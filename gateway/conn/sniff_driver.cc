#include "gateway/conn/sniff_driver.h"

#include <algorithm>
#include <cstring>

#include "codecs/framers/framers.h"

namespace mtedge::gateway {

using codecs::CodecError;
using codecs::TransportKind;
using codecs::detector::Detection;
using codecs::detector::kMaxPeek;

void SniffDriver::on_bytes(MutableByteView data) {
  codecs::detector::Detection d;
  size_t copied = 0;
  if (peek_len_ == 0) {
    // Common case: the tag arrives with the first frame; decide on the read buffer itself.
    d = codecs::detector::detect(data.first(std::min(data.size(), kMaxPeek)),
                                 port_.listener().transports);
    if (d.outcome == Detection::Outcome::kNeedMore) {
      if (data.size() >= kMaxPeek) {
        d.outcome = Detection::Outcome::kUnknown;  // the detector promised to decide on 64 bytes
      } else {
        peek_ = std::make_unique<uint8_t[]>(kMaxPeek);
        std::memcpy(peek_.get(), data.data(), data.size());
        peek_len_ = static_cast<uint8_t>(data.size());
        return;
      }
    }
  } else {
    copied = std::min(data.size(), kMaxPeek - peek_len_);
    std::memcpy(peek_.get() + peek_len_, data.data(), copied);
    peek_len_ = static_cast<uint8_t>(peek_len_ + copied);
    d = codecs::detector::detect(ByteView(peek_.get(), peek_len_), port_.listener().transports);
    if (d.outcome == Detection::Outcome::kNeedMore) {
      if (peek_len_ < kMaxPeek) return;
      d.outcome = Detection::Outcome::kUnknown;
    }
  }
  port_.metrics().count(d);

  // The bytes seen so far: `head` (what the detector decided on, then the rest of this read).
  // They move to locals: start() replaces this driver.
  ConnPort& port = port_;
  std::unique_ptr<uint8_t[]> peeked = std::move(peek_);
  const size_t peeked_len = peek_len_;
  peek_len_ = 0;
  MutableByteView head = peeked ? MutableByteView(peeked.get(), peeked_len) : data;
  MutableByteView tail = peeked ? data.subspan(copied) : MutableByteView();

  const CodecError err = start(d);
  if (err != CodecError::kNone) {
    Bytes raw(head.begin(), head.end());
    raw.insert(raw.end(), tail.begin(), tail.end());
    port.count_codec_error(err);
    close_for_codec_error(port, err, raw);
    return;
  }
  // Feed what follows the tag: first the rest of the detected bytes, then the rest of this read.
  if (d.consume < head.size()) port.deliver(head.subspan(d.consume));
  if (!tail.empty()) port.deliver(tail);
}

CodecError SniffDriver::start(const Detection& d) {
  if (d.matched(TransportKind::kObfuscated) || d.matched(TransportKind::kFakeTls)) {
    // The detection timer keeps running: it bounds the handshake.
    port_.accept(std::make_unique<SecureAccept>(d.transport, secure_accept_options(port_),
                                                &port_.replay_cache(d.transport)),
                 nullptr);
    return CodecError::kNone;
  }
  if (d.matched(TransportKind::kHttp)) {
    port_.serve_http();  // the detection timer bounds the request that decides
    return CodecError::kNone;
  }
  if (d.outcome != Detection::Outcome::kMatched || !codecs::has_framer(d.transport)) {
    return CodecError::kUnknownTransport;
  }
  const TransportKind framing = d.transport;
  ConnPort& port = port_;
  backend::ConnInfo info;
  info.transport = framing;
  info.framing = framing;
  port.open_stream(std::move(info), nullptr, [&](std::optional<codecs::TransportStack>& stack) {
    stack.emplace(codecs::make_framer(framing, codecs::Role::kServer, port.random()),
                  frame_limits(port.settings()));
  });
  return CodecError::kNone;
}

void SniffDriver::on_timer() {
  note_error(port_, ConnError::kDetectTimeout);
  port_.close_now(backend::CloseReason::kTimeout);
}

}  // namespace mtedge::gateway
