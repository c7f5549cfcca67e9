// AesCtrStage: inbound bytes run through the `in` keystream, outbound through `out`, each
// continuing across calls (crypto/aes_ctr.h itself is tested in tests/unit/crypto).
#include "codecs/obfuscated/aes_ctr_stage.h"

#include <gtest/gtest.h>

#include <random>

namespace mtedge::codecs {
namespace {

crypto::CtrParams random_params(std::mt19937_64& rng) {
  crypto::CtrParams p;
  for (auto& b : p.key) b = uint8_t(rng());
  for (auto& b : p.iv) b = uint8_t(rng());
  return p;
}

// `data` XOR the keystream (p) from its start, on the EVP implementation.
Bytes reference(const crypto::CtrParams& p, Bytes data) {
  crypto::AesCtr(p, crypto::AesCtrImpl::kEvp).apply(data);
  return data;
}

TEST(AesCtrStage, StageUsesBothDirections) {
  std::mt19937_64 rng(8);
  const crypto::CtrParams in = random_params(rng);
  const crypto::CtrParams out = random_params(rng);
  for (crypto::AesCtrImpl impl :
       {crypto::AesCtrImpl::kAuto, crypto::AesCtrImpl::kAesNi, crypto::AesCtrImpl::kEvp}) {
    SCOPED_TRACE(int(impl));
    AesCtrStage stage(crypto::AesCtr(in, impl), crypto::AesCtr(out, impl));
    Bytes plain(3000);
    for (auto& b : plain) b = uint8_t(rng());
    Bytes inbound = plain;
    CodecError e = CodecError::kNone;
    MutableByteView view = stage.inbound(MutableByteView(inbound.data(), 1000), e);
    EXPECT_EQ(view.size(), 1000u);
    stage.inbound(MutableByteView(inbound.data() + 1000, 2000), e);
    EXPECT_TRUE(inbound == reference(in, plain));
    Bytes outbound = plain;
    stage.outbound(outbound, 0);
    EXPECT_TRUE(outbound == reference(out, plain));
  }
}

}  // namespace
}  // namespace mtedge::codecs
