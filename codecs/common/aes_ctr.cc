#include "codecs/common/aes_ctr.h"

#include <openssl/evp.h>

#include <cassert>
#include <climits>
#include <cstdlib>

namespace mtedge::codecs {
namespace {

// Fetched once: implicit fetches (EVP_aes_256_ctr()) look the algorithm up on every init.
const EVP_CIPHER* ctr_cipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
  return cipher;
}
const EVP_CIPHER* ecb_cipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
  return cipher;
}

// Out of memory or a missing cipher leaves nothing sane to do in a codec.
[[noreturn]] void crypto_failure() {
  std::abort();
}

}  // namespace

AesCtr::AesCtr(const CtrParams& params) {
  ctx_ = EVP_CIPHER_CTX_new();
  if (ctx_ == nullptr || ctr_cipher() == nullptr ||
      EVP_EncryptInit_ex2(ctx_, ctr_cipher(), params.key.data(), params.iv.data(), nullptr) != 1) {
    crypto_failure();
  }
}

AesCtr& AesCtr::operator=(AesCtr&& other) noexcept {
  if (this != &other) {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

AesCtr::~AesCtr() {
  EVP_CIPHER_CTX_free(ctx_);
}

void AesCtr::apply(MutableByteView data) {
  assert(ctx_ != nullptr);
  uint8_t* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    int chunk = left > size_t(INT_MAX / 2) ? INT_MAX / 2 : int(left);
    int written = 0;
    if (EVP_EncryptUpdate(ctx_, p, &written, p, chunk) != 1 || written != chunk) crypto_failure();
    p += chunk;
    left -= size_t(chunk);
  }
}

void AesCtr::skip(size_t count) {
  uint8_t scratch[256];
  while (count > 0) {
    size_t n = count < sizeof scratch ? count : sizeof scratch;
    apply(scratch, n);
    count -= n;
  }
}

void aes_ctr_keystream_at(const CtrParams& params, uint64_t offset, uint8_t* out, size_t count) {
  assert(count <= 16 && (offset % 16) + count <= 16);
  // counter = iv + offset / 16, as a 128-bit big-endian integer.
  uint8_t block[16];
  uint64_t add = offset / 16;
  unsigned carry = 0;
  for (int i = 15; i >= 0; --i) {
    unsigned sum = unsigned(params.iv[size_t(i)]) + unsigned(add & 0xff) + carry;
    block[i] = uint8_t(sum);
    carry = sum >> 8;
    add >>= 8;
  }
  // One ECB context per thread, bound to the cipher once: re-keying an initialised
  // context costs a third of a full init (no cipher lookup, no context reset).
  thread_local struct EcbCtx {
    EVP_CIPHER_CTX* ctx = nullptr;
    EcbCtx() {
      ctx = EVP_CIPHER_CTX_new();
      if (ctx == nullptr || ecb_cipher() == nullptr ||
          EVP_EncryptInit_ex2(ctx, ecb_cipher(), nullptr, nullptr, nullptr) != 1 ||
          EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
        crypto_failure();
      }
    }
    ~EcbCtx() { EVP_CIPHER_CTX_free(ctx); }
  } ecb;
  uint8_t stream[32];
  int written = 0;
  if (EVP_EncryptInit_ex2(ecb.ctx, nullptr, params.key.data(), nullptr, nullptr) != 1 ||
      EVP_EncryptUpdate(ecb.ctx, stream, &written, block, 16) != 1 || written != 16) {
    crypto_failure();
  }
  std::memcpy(out, stream + offset % 16, count);
}

MutableByteView AesCtrStage::inbound(MutableByteView in, CodecError& /*error*/) {
  in_.apply(in);
  return in;
}

void AesCtrStage::outbound(Bytes& out, size_t from) {
  if (from < out.size()) out_.apply(out.data() + from, out.size() - from);
}

}  // namespace mtedge::codecs
