#include "crypto/secret_bytes.h"

#include <openssl/crypto.h>

namespace mtedge::crypto {

bool equal_ct(const uint8_t* a, const uint8_t* b, size_t size) {
  return CRYPTO_memcmp(a, b, size) == 0;
}

void wipe(void* p, size_t size) {
  OPENSSL_cleanse(p, size);
}

}  // namespace mtedge::crypto
