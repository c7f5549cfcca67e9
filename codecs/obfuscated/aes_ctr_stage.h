// The obfuscated2 stream stage: AES-256-CTR (crypto/aes_ctr.h) as a StreamStage of the
// transport stack.
#pragma once

#include "codecs/core/transport_stack.h"
#include "crypto/aes_ctr.h"

namespace mtedge::codecs {

// A StreamStage: inbound bytes are XORed with the `in` keystream, outbound with `out`.
class AesCtrStage final : public StreamStage {
 public:
  AesCtrStage(crypto::AesCtr in, crypto::AesCtr out) : in_(std::move(in)), out_(std::move(out)) {}

  MutableByteView inbound(MutableByteView in, CodecError& error) override;
  void outbound(Bytes& out, size_t from) override;
  void park() override {
    in_.park();
    out_.park();
  }

  crypto::AesCtr& in() { return in_; }
  crypto::AesCtr& out() { return out_; }

 private:
  crypto::AesCtr in_;
  crypto::AesCtr out_;
};

}  // namespace mtedge::codecs
