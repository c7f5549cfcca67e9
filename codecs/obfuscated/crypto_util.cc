#include "codecs/obfuscated/crypto_util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace mtedge::codecs::obfuscated {
namespace {

const EVP_MD* sha256_md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

[[noreturn]] void crypto_failure() {
  std::abort();
}

}  // namespace

Sha256 sha256(ByteView a, ByteView b) {
  thread_local MdCtx md;
  Sha256 out{};
  unsigned int len = 0;
  if (md.ctx == nullptr || sha256_md() == nullptr ||
      EVP_DigestInit_ex2(md.ctx, sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(md.ctx, a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(md.ctx, b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(md.ctx, out.data(), &len) != 1 || len != out.size()) {
    crypto_failure();
  }
  return out;
}

Sha256 hmac_sha256(ByteView key, ByteView a, ByteView b) {
  // HMAC(K, m) = H((K ^ opad) || H((K ^ ipad) || m)) for keys up to the 64-byte block size,
  // spelled out to reuse the pre-fetched digest (one-shot HMAC() fetches on every call).
  uint8_t pad[64] = {};
  Sha256 hashed_key;
  if (key.size() > sizeof pad) {
    hashed_key = sha256(key);
    key = ByteView(hashed_key);
  }
  std::memcpy(pad, key.data(), key.size());
  uint8_t ipad[64];
  uint8_t opad[64];
  for (size_t i = 0; i < 64; ++i) {
    ipad[i] = uint8_t(pad[i] ^ 0x36);
    opad[i] = uint8_t(pad[i] ^ 0x5c);
  }
  thread_local MdCtx md;
  Sha256 inner{};
  Sha256 out{};
  unsigned int len = 0;
  if (md.ctx == nullptr || sha256_md() == nullptr ||
      EVP_DigestInit_ex2(md.ctx, sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(md.ctx, ipad, sizeof ipad) != 1 ||
      EVP_DigestUpdate(md.ctx, a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(md.ctx, b.data(), b.size()) != 1 ||
      EVP_DigestFinal_ex(md.ctx, inner.data(), &len) != 1 ||
      EVP_DigestInit_ex2(md.ctx, sha256_md(), nullptr) != 1 ||
      EVP_DigestUpdate(md.ctx, opad, sizeof opad) != 1 ||
      EVP_DigestUpdate(md.ctx, inner.data(), inner.size()) != 1 ||
      EVP_DigestFinal_ex(md.ctx, out.data(), &len) != 1) {
    crypto_failure();
  }
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
  return out;
}

bool equal_ct(const uint8_t* a, const uint8_t* b, size_t size) {
  return CRYPTO_memcmp(a, b, size) == 0;
}

void random_bytes(uint8_t* out, size_t size) {
  if (size > 0 && RAND_bytes(out, int(size)) != 1) crypto_failure();
}

uint32_t random_u32() {
  uint8_t b[4];
  random_bytes(b, 4);
  return load_le32(b);
}

}  // namespace mtedge::codecs::obfuscated
