#include "crypto/x25519.h"

#include <openssl/evp.h>

#include "crypto/random.h"

namespace mtedge::crypto {

void x25519_public_key(uint8_t out[32]) {
  // The keygen context is made once per thread (creating it is half the cost).
  thread_local struct KeygenCtx {
    EVP_PKEY_CTX* ctx = nullptr;
    KeygenCtx() {
      ctx = EVP_PKEY_CTX_new_from_name(nullptr, "X25519", nullptr);
      if (ctx != nullptr && EVP_PKEY_keygen_init(ctx) != 1) {
        EVP_PKEY_CTX_free(ctx);
        ctx = nullptr;
      }
    }
    ~KeygenCtx() { EVP_PKEY_CTX_free(ctx); }
  } keygen;
  EVP_PKEY* key = nullptr;
  size_t len = 32;
  if (keygen.ctx == nullptr || EVP_PKEY_keygen(keygen.ctx, &key) != 1 ||
      EVP_PKEY_get_raw_public_key(key, out, &len) != 1 || len != 32) {
    random_bytes(out, 32);
  }
  EVP_PKEY_free(key);
}

}  // namespace mtedge::crypto
