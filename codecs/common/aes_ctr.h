// AES-256-CTR on OpenSSL EVP: one cipher context per direction, created once and kept for
// the connection's whole life (obfuscated2 never re-keys; the counter runs on across
// packets, quick-ack tokens and transport errors in stream order).
//
// The counter block is the 16-byte IV taken as a 128-bit big-endian integer, incremented
// per 16-byte block over all 128 bits (OpenSSL's CTR mode; what every MTProto client does).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "codecs/common/bytes.h"
#include "codecs/common/transport_stack.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace mtedge::codecs {

using AesKey = std::array<uint8_t, 32>;
using AesIv = std::array<uint8_t, 16>;

struct CtrParams {
  AesKey key{};
  AesIv iv{};
};

// One direction's keystream. Move-only; owns its EVP context.
class AesCtr {
 public:
  AesCtr() = default;
  explicit AesCtr(const CtrParams& params);
  AesCtr(AesCtr&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }
  AesCtr& operator=(AesCtr&& other) noexcept;
  AesCtr(const AesCtr&) = delete;
  AesCtr& operator=(const AesCtr&) = delete;
  ~AesCtr();

  bool valid() const { return ctx_ != nullptr; }
  // XORs the next data.size() keystream bytes into data (encrypt == decrypt).
  void apply(MutableByteView data);
  void apply(uint8_t* data, size_t size) { apply(MutableByteView(data, size)); }
  // Advances the keystream by `count` bytes without data.
  void skip(size_t count);

 private:
  EVP_CIPHER_CTX* ctx_ = nullptr;
};

// The `count` (<= 16) keystream bytes at byte `offset` of the stream (key, iv), computed with
// one AES block encryption and no CTR context: a cheap probe used to test a candidate key
// before building full contexts.
void aes_ctr_keystream_at(const CtrParams& params, uint64_t offset, uint8_t* out, size_t count);

// A StreamStage: inbound bytes are XORed with the `in` keystream, outbound with `out`.
class AesCtrStage final : public StreamStage {
 public:
  AesCtrStage(AesCtr in, AesCtr out) : in_(std::move(in)), out_(std::move(out)) {}

  MutableByteView inbound(MutableByteView in, CodecError& error) override;
  void outbound(Bytes& out, size_t from) override;

  AesCtr& in() { return in_; }
  AesCtr& out() { return out_; }

 private:
  AesCtr in_;
  AesCtr out_;
};

}  // namespace mtedge::codecs
