// Shared helpers for the handshake tests: the test RSA key, hex, a context factory.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "mtproto/auth_keys/memory_auth_key_store.h"
#include "mtproto/handshake/handshake_client.h"
#include "mtproto/handshake/handshake_server.h"

namespace mtedge::mtproto::testing {

inline const crypto::RsaPrivateKey& test_key() {
  static const crypto::RsaPrivateKey key = [] {
    auto k = crypto::RsaPrivateKey::from_pem_file(std::string(MTEDGE_VECTORS_DIR) +
                                                  "/test_rsa_2048.pem");
    if (!k) ADD_FAILURE() << k.message();
    return k.value();
  }();
  return key;
}

inline Bytes hex(std::string_view h) {
  Bytes out;
  std::string clean;
  for (char c : h)
    if (!std::isspace(static_cast<unsigned char>(c))) clean += c;
  for (size_t i = 0; i + 1 < clean.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoul(clean.substr(i, 2), nullptr, 16)));
  return out;
}

template <size_t N>
std::array<uint8_t, N> hex_array(std::string_view h) {
  auto b = hex(h);
  std::array<uint8_t, N> a{};
  EXPECT_EQ(b.size(), N);
  std::copy_n(b.begin(), std::min(N, b.size()), a.begin());
  return a;
}

inline std::shared_ptr<MemoryAuthKeyStore> memory_store() {
  auto s = MemoryAuthKeyStore::open({});
  return std::shared_ptr<MemoryAuthKeyStore>(std::move(s).value());
}

inline std::shared_ptr<HandshakeContext> make_context(
    HandshakeConfig config = {}, std::shared_ptr<AuthKeyStore> store = nullptr,
    std::shared_ptr<HandshakeLimiter> limiter = nullptr) {
  if (!store) store = memory_store();
  auto ctx = HandshakeContext::create(config, {test_key()}, std::move(store), std::move(limiter));
  if (!ctx) ADD_FAILURE() << ctx.message();
  return ctx.value();
}

}  // namespace mtedge::mtproto::testing
