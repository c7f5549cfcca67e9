#include "crypto/aes_ige.h"

#include <openssl/evp.h>

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "crypto/aes_ni_ige.h"
#include "crypto/cpu_features.h"
#include "crypto/hash.h"

namespace mtedge::crypto {
namespace {

const EVP_CIPHER* fetched_cipher(const char* name) {
  EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (cipher == nullptr) std::abort();  // no default provider: nothing can work
  return cipher;                        // kept for the process lifetime
}
const EVP_CIPHER* cipher_ecb() {
  static const EVP_CIPHER* c = fetched_cipher("AES-256-ECB");
  return c;
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};

EVP_CIPHER_CTX* thread_ecb_ctx() {
  thread_local std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) std::abort();
  return ctx.get();
}

bool use_aes_ni(AesImpl impl) {
  switch (impl) {
    case AesImpl::kAesNi: assert(cpu_has_aes_ni()); return true;
    case AesImpl::kPortable: return false;
    case AesImpl::kAuto: break;
  }
  return cpu_has_aes_ni();
}

inline void xor16(uint8_t* dst, const uint8_t* a, const uint8_t* b) {
  for (int i = 0; i < 16; ++i) dst[i] = a[i] ^ b[i];
}

// Portable IGE: one EVP AES-256-ECB call per block (the chain is serial, so the buffer cannot
// go through in one call). EVP itself may still use AES-NI inside.
void portable_ige(bool encrypt, const uint8_t* key, const uint8_t* iv, const uint8_t* in,
                  uint8_t* out, size_t size) {
  EVP_CIPHER_CTX* ctx = thread_ecb_ctx();
  if (EVP_CipherInit_ex2(ctx, cipher_ecb(), key, nullptr, encrypt ? 1 : 0, nullptr) != 1) {
    std::abort();
  }
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  // For encrypt: x_prev = previous ciphertext, y_prev = previous plaintext;
  // for decrypt the roles swap (x_prev = previous plaintext, y_prev = previous ciphertext).
  uint8_t x_prev[16], y_prev[16], block[16], cur[16];
  std::memcpy(encrypt ? x_prev : y_prev, iv, 16);
  std::memcpy(encrypt ? y_prev : x_prev, iv + 16, 16);
  for (size_t off = 0; off < size; off += 16) {
    std::memcpy(cur, in + off, 16);  // before out is written: in == out is fine
    xor16(block, cur, x_prev);
    int n = 0;
    EVP_CipherUpdate(ctx, block, &n, block, 16);
    xor16(out + off, block, y_prev);
    std::memcpy(x_prev, out + off, 16);
    std::memcpy(y_prev, cur, 16);
  }
}

}  // namespace

AesImpl aes_ige_default_impl() {
  return cpu_has_aes_ni() ? AesImpl::kAesNi : AesImpl::kPortable;
}

void aes_ige_encrypt(std::span<const uint8_t, 32> key, std::span<const uint8_t, 32> iv,
                     const uint8_t* in, uint8_t* out, size_t size, AesImpl impl) {
  assert(size % 16 == 0);
  if (use_aes_ni(impl)) {
    aesni::ige_encrypt(key.data(), iv.data(), in, out, size);
  } else {
    portable_ige(true, key.data(), iv.data(), in, out, size);
  }
}

void aes_ige_decrypt(std::span<const uint8_t, 32> key, std::span<const uint8_t, 32> iv,
                     const uint8_t* in, uint8_t* out, size_t size, AesImpl impl) {
  assert(size % 16 == 0);
  if (use_aes_ni(impl)) {
    aesni::ige_decrypt(key.data(), iv.data(), in, out, size);
  } else {
    portable_ige(false, key.data(), iv.data(), in, out, size);
  }
}

std::array<uint8_t, 32> aes_ige_decrypt_sha256(std::span<const uint8_t, 32> key,
                                               std::span<const uint8_t, 32> iv, const uint8_t* in,
                                               uint8_t* out, size_t size,
                                               std::span<const uint8_t, 32> prefix, AesImpl impl) {
  assert(size % 16 == 0 && size >= 32);
  std::array<uint8_t, 32> digest;
  if (use_aes_ni(impl) && cpu_has_sha_ni()) {
    aesni::ige_decrypt_sha256(key.data(), iv.data(), in, out, size, prefix.data(), digest.data());
    return digest;
  }
  aes_ige_decrypt(key, iv, in, out, size, impl);
  return sha256({ByteView(prefix.data(), prefix.size()), ByteView(out, size)});
}

void aes_ecb_encrypt_blocks(std::span<const uint8_t, 32> key, const uint8_t* in, uint8_t* out,
                            size_t size, bool chained, AesImpl impl) {
  assert(size % 16 == 0);
  if (use_aes_ni(impl)) {
    aesni::ecb_encrypt(key.data(), in, out, size, chained);
    return;
  }
  EVP_CIPHER_CTX* ctx = thread_ecb_ctx();
  if (EVP_CipherInit_ex2(ctx, cipher_ecb(), key.data(), nullptr, 1, nullptr) != 1) std::abort();
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  int n = 0;
  if (!chained) {
    EVP_CipherUpdate(ctx, out, &n, in, static_cast<int>(size));
    return;
  }
  uint8_t x[16] = {};
  for (size_t off = 0; off < size; off += 16) {
    xor16(x, x, in + off);
    EVP_CipherUpdate(ctx, x, &n, x, 16);
    std::memcpy(out + off, x, 16);
  }
}

}  // namespace mtedge::crypto
