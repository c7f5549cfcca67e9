#include "crypto/hash.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "crypto/cpu_features.h"
#include "crypto/sha256_ni.h"

namespace mtedge::crypto {
namespace {

// Algorithms fetched once per process: EVP_sha256() and the one-shot SHA256() resolve the
// provider implementation on every init, which dominates the cost of hashing 100 bytes.
const EVP_MD* fetched_md(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) std::abort();  // no default provider: the process cannot work at all
  return md;                        // intentionally kept for the process lifetime
}
const EVP_MD* md_sha256() {
  static const EVP_MD* md = fetched_md("SHA256");
  return md;
}
const EVP_MD* md_sha1() {
  static const EVP_MD* md = fetched_md("SHA1");
  return md;
}

EVP_MD_CTX* new_ctx() {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) std::abort();
  return ctx;
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// One reused context per thread for the one-shot helpers.
EVP_MD_CTX* thread_ctx() {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx(new_ctx());
  return ctx.get();
}

template <size_t N>
std::array<uint8_t, N> digest(const EVP_MD* md, std::initializer_list<ByteView> parts) {
  EVP_MD_CTX* ctx = thread_ctx();
  std::array<uint8_t, N> out;
  EVP_DigestInit_ex2(ctx, md, nullptr);
  for (ByteView part : parts) EVP_DigestUpdate(ctx, part.data(), part.size());
  EVP_DigestFinal_ex(ctx, out.data(), nullptr);
  return out;
}

// Merkle-Damgard streaming around the SHA-NI compression function.
struct NiState {
  uint32_t* h;
  uint8_t* buf;
  size_t& buf_len;
  uint64_t& total;

  void init() {
    std::copy(shani::kInitialState, shani::kInitialState + 8, h);
    buf_len = 0;
    total = 0;
  }
  void update(const uint8_t* p, size_t n) {
    if (n == 0) return;  // p may be null for an empty view
    total += n;
    if (buf_len > 0) {
      const size_t take = std::min(n, 64 - buf_len);
      std::memcpy(buf + buf_len, p, take);
      buf_len += take;
      p += take;
      n -= take;
      if (buf_len < 64) return;
      shani::sha256_blocks(h, buf, 1);
      buf_len = 0;
    }
    if (n >= 64) {
      shani::sha256_blocks(h, p, n / 64);
      p += n / 64 * 64;
      n %= 64;
    }
    if (n > 0) {
      std::memcpy(buf, p, n);
      buf_len = n;
    }
  }
  Sha256Digest finish() {
    const uint64_t bits = total * 8;
    buf[buf_len++] = 0x80;
    if (buf_len > 56) {
      std::memset(buf + buf_len, 0, 64 - buf_len);
      shani::sha256_blocks(h, buf, 1);
      buf_len = 0;
    }
    std::memset(buf + buf_len, 0, 56 - buf_len);
    for (int i = 0; i < 8; ++i) buf[56 + i] = uint8_t(bits >> (56 - 8 * i));
    shani::sha256_blocks(h, buf, 1);
    Sha256Digest out;
    for (int i = 0; i < 8; ++i) store_be32(out.data() + 4 * i, h[i]);
    return out;
  }
};

Sha256Digest sha256_ni(std::initializer_list<ByteView> parts) {
  uint32_t h[8];
  uint8_t buf[64];
  size_t buf_len = 0;
  uint64_t total = 0;
  NiState st{h, buf, buf_len, total};
  st.init();
  for (ByteView part : parts) st.update(part.data(), part.size());
  return st.finish();
}

}  // namespace

Sha256Digest sha256_openssl(std::initializer_list<ByteView> parts) {
  return digest<32>(md_sha256(), parts);
}

Sha1Digest sha1(ByteView data) {
  return digest<20>(md_sha1(), {data});
}
Sha256Digest sha256(ByteView data) {
  return sha256({data});
}
Sha1Digest sha1(std::initializer_list<ByteView> parts) {
  return digest<20>(md_sha1(), parts);
}
Sha256Digest sha256(std::initializer_list<ByteView> parts) {
  if (cpu_has_sha_ni()) return sha256_ni(parts);
  return digest<32>(md_sha256(), parts);
}

Sha256Digest hmac_sha256(ByteView key, ByteView data) {
  return hmac_sha256(key, {data});
}

// RFC 2104 on the reused SHA-256 context (block size 64).
Sha256Digest hmac_sha256(ByteView key, std::initializer_list<ByteView> parts) {
  std::array<uint8_t, 64> block{};
  if (key.size() > block.size()) {
    Sha256Digest hashed = sha256(key);
    std::copy(hashed.begin(), hashed.end(), block.begin());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  std::array<uint8_t, 64> pad;
  for (size_t i = 0; i < pad.size(); ++i) pad[i] = block[i] ^ 0x36;
  Sha256 h;
  h.update(pad.data(), pad.size());
  for (ByteView part : parts) h.update(part);
  const Sha256Digest inner = h.finish();
  for (size_t i = 0; i < pad.size(); ++i) pad[i] = block[i] ^ 0x5c;
  return sha256({ByteView(pad), ByteView(inner)});
}

Sha256::Sha256() {
  if (!cpu_has_sha_ni()) ctx_ = new_ctx();
  reset();
}
Sha256::~Sha256() {
  EVP_MD_CTX_free(ctx_);
}
void Sha256::reset() {
  if (ctx_ == nullptr) {
    NiState{h_, buf_, buf_len_, total_}.init();
  } else {
    EVP_DigestInit_ex2(ctx_, md_sha256(), nullptr);
  }
}
void Sha256::update(ByteView data) {
  update(data.data(), data.size());
}
void Sha256::update(const void* data, size_t size) {
  if (ctx_ == nullptr) {
    NiState{h_, buf_, buf_len_, total_}.update(static_cast<const uint8_t*>(data), size);
  } else {
    EVP_DigestUpdate(ctx_, data, size);
  }
}
Sha256Digest Sha256::finish() {
  if (ctx_ == nullptr) return NiState{h_, buf_, buf_len_, total_}.finish();
  Sha256Digest out;
  EVP_DigestFinal_ex(ctx_, out.data(), nullptr);
  return out;
}

Sha1::Sha1() : ctx_(new_ctx()) {
  reset();
}
Sha1::~Sha1() {
  EVP_MD_CTX_free(ctx_);
}
void Sha1::reset() {
  EVP_DigestInit_ex2(ctx_, md_sha1(), nullptr);
}
void Sha1::update(ByteView data) {
  EVP_DigestUpdate(ctx_, data.data(), data.size());
}
void Sha1::update(const void* data, size_t size) {
  EVP_DigestUpdate(ctx_, data, size);
}
Sha1Digest Sha1::finish() {
  Sha1Digest out;
  EVP_DigestFinal_ex(ctx_, out.data(), nullptr);
  return out;
}

}  // namespace mtedge::crypto
