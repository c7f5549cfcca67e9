// The handshake tests' server side: the test RSA key and a HandshakeContext over a memory
// auth-key store.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "mtproto/auth_keys/memory_auth_key_store.h"
#include "mtproto/handshake/handshake_client.h"
#include "mtproto/handshake/handshake_server.h"
#include "tests/support/keys.h"
#include "tests/support/vectors.h"

namespace mtedge::mtproto::testing {

inline const crypto::RsaPrivateKey& test_key() {
  static const crypto::RsaPrivateKey key = [] {
    auto k = crypto::RsaPrivateKey::from_pem_file(
        mtedge::test::vector_path(mtedge::test::kTestRsaKeyFile));
    if (!k) ADD_FAILURE() << k.message();
    return k.value();
  }();
  return key;
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
