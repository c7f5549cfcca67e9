// libFuzzer target: the full framer in both roles through FrameReader (see codec_fuzz_driver.h).
#include "fuzz/codec_fuzz_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return mtedge::codecs::fuzz::run_framer_fuzz(mtedge::codecs::TransportKind::kFull, data, size);
}
