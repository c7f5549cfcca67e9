#include "codecs/obfuscated/aes_ctr_stage.h"

namespace mtedge::codecs {

MutableByteView AesCtrStage::inbound(MutableByteView in, CodecError& /*error*/) {
  in_.apply(in);
  return in;
}

void AesCtrStage::outbound(Bytes& out, size_t from) {
  if (from < out.size()) out_.apply(out.data() + from, out.size() - from);
}

}  // namespace mtedge::codecs
