// Fake-TLS record stage inbound with arbitrary bytes and splits, plus the outbound wrap
// of the stripped output read back. Byte 0 picks the split and the options.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "codecs/obfuscated/tls_record_stage.h"

using namespace mtedge;
using namespace mtedge::codecs;
using namespace mtedge::codecs::obfuscated;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t control = data[0];
  std::vector<uint8_t> buf(data + 1, data + size);
  TlsRecordOptions options;
  options.accept_leading_ccs = control & 1;
  TlsRecordStage stage(options);
  size_t step = 1 + (control >> 1) * 7;
  Bytes stripped;
  CodecError e = CodecError::kNone;
  for (size_t off = 0; off < buf.size() && e == CodecError::kNone; off += step) {
    MutableByteView out =
        stage.inbound(MutableByteView(buf.data() + off, std::min(step, buf.size() - off)), e);
    stripped.insert(stripped.end(), out.begin(), out.end());
  }
  // Round trip what was accepted: wrap it and strip it again.
  TlsRecordStage writer({.accept_leading_ccs = false,
                         .send_leading_ccs = bool(control & 2),
                         .max_out_record = 1 + size_t(control) * 5});
  Bytes wire = stripped;
  writer.outbound(wire, 0);
  TlsRecordStage reader;
  CodecError e2 = CodecError::kNone;
  MutableByteView back = reader.inbound(MutableByteView(wire), e2);
  if (e2 != CodecError::kNone || Bytes(back.begin(), back.end()) != stripped) std::abort();
  return 0;
}
