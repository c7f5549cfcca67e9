// obfuscated2 server-side init: arbitrary bytes as the first bytes of a connection, tried
// against a fixed secret list (the vectors' key as plain, dd and ee), then the rest of the
// input decrypted through the resulting stage. Byte 0 picks options and the read split.
#include <cstdint>
#include <vector>

#include "codecs/obfuscated/obfuscated2.h"

using namespace mtedge;
using namespace mtedge::codecs;
using namespace mtedge::codecs::obfuscated;

static std::vector<Secret> make_secrets() {
  std::vector<Secret> s;
  for (const char* text : {"00112233445566778899aabbccddeeff", "dd00112233445566778899aabbccddeeff",
                           "ee00112233445566778899aabbccddeeff6578616d706c652e636f6d",
                           "dd0f0e0d0c0b0a09080706050403020100"}) {
    s.push_back(std::move(Secret::from_text("fuzz", text).value()));
  }
  return s;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Secret> secrets = make_secrets();
  static ReplayCache cache({.window_seconds = 10, .max_entries = 4096, .shards = 4});
  if (size < 1) return 0;
  const uint8_t control = data[0];
  ++data;
  --size;
  InitOptions options;
  options.allow_no_secret = control & 1;
  options.dd_strict = control & 2;
  options.include_ee = control & 4;
  if (control & 8) options.allowed_inner.remove(TransportKind::kAbridged);

  if (size >= kInitSize) {
    ServerInit direct = accept_init(ByteView(data, kInitSize), secrets, options, nullptr, 0);
    (void)direct;
  }
  std::vector<uint8_t> buf(data, data + size);
  ObfuscatedAcceptor acc(secrets, options, (control & 16) ? &cache : nullptr);
  if (control & 32) acc.set_record_stage(std::make_unique<TlsRecordStage>());
  size_t step = 1 + (control >> 6) * 23;
  size_t off = 0;
  std::vector<std::unique_ptr<StreamStage>> stages;
  while (off < buf.size()) {
    size_t n = std::min(step, buf.size() - off);
    MutableByteView chunk(buf.data() + off, n);
    off += n;
    if (stages.empty()) {
      auto r = acc.feed(chunk, int64_t(off));
      if (r == ObfuscatedAcceptor::Step::kError) return 0;
      if (r == ObfuscatedAcceptor::Step::kNeedMore) continue;
      stages = acc.take_stages();
      chunk = acc.rest();
    }
    CodecError e = CodecError::kNone;
    for (auto it = stages.rbegin(); it != stages.rend() && e == CodecError::kNone; ++it) {
      chunk = (*it)->inbound(chunk, e);
    }
    if (e != CodecError::kNone) return 0;
    Bytes out(chunk.begin(), chunk.end());
    for (auto& s : stages) s->outbound(out, 0);
  }
  return 0;
}
