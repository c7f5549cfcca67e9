#include "crypto/random.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace mtedge::crypto {
namespace {

void rand_fill(uint8_t* p, size_t size) {
  while (size > 0) {
    int n = size > INT_MAX ? INT_MAX : static_cast<int>(size);
    if (RAND_bytes(p, n) != 1) std::abort();  // no entropy: never continue with weak values
    p += n;
    size -= static_cast<size_t>(n);
  }
}

// RAND_bytes costs ~2 us per call in OpenSSL 3 whatever the size (provider dispatch and
// locking), more than encrypting a small message. Small requests are served from a per-thread
// buffer filled by RAND_bytes; every byte is handed out once and wiped when taken.
struct RandomPool {
  static constexpr size_t kSize = 4096;
  std::array<uint8_t, kSize> bytes;
  size_t pos = kSize;

  void take(uint8_t* out, size_t size) {
    while (size > 0) {
      if (pos == kSize) {
        rand_fill(bytes.data(), kSize);
        pos = 0;
      }
      const size_t n = size < kSize - pos ? size : kSize - pos;
      std::memcpy(out, bytes.data() + pos, n);
      OPENSSL_cleanse(bytes.data() + pos, n);
      pos += n;
      out += n;
      size -= n;
    }
  }
};

}  // namespace

void random_bytes(MutableByteView out) {
  if (out.size() > 1024) {
    rand_fill(out.data(), out.size());
    return;
  }
  thread_local RandomPool pool;
  pool.take(out.data(), out.size());
}

uint32_t random_u32() {
  uint8_t b[4];
  random_bytes(b);
  return load_le32(b);
}

uint64_t random_u64() {
  uint8_t b[8];
  random_bytes(b);
  return load_le64(b);
}

}  // namespace mtedge::crypto
