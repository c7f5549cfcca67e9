// The adapters built into this binary, registered under the names backend.type accepts.
#pragma once

#include <functional>
#include <memory>

namespace mtedge::backend {
class AdapterRegistry;
}
namespace mtedge::mtproto {
class AuthKeyStore;
}

namespace mtedge::gateway {

// The edge's auth key store, asked for when adapters are created (after Gateway::start opened
// it); null when edge decryption is off.
using AuthKeyStoreProvider = std::function<std::shared_ptr<mtproto::AuthKeyStore>()>;

// Registers every adapter this build has: "relay" when backend-adapters/relay is built,
// "embedded" when backend-adapters/embedded is (its destroy_auth_key erases from `key_store`).
void register_builtin_adapters(backend::AdapterRegistry& registry,
                               AuthKeyStoreProvider key_store = {});

}  // namespace mtedge::gateway
