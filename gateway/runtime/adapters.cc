#include "gateway/runtime/adapters.h"

#include "backend-adapters/api/adapter_factory.h"

#if MTEDGE_HAVE_RELAY
#include "backend-adapters/relay/relay.h"
#endif
#if MTEDGE_HAVE_SOCKET
#include "backend-adapters/socket/socket.h"
#endif
#if MTEDGE_HAVE_EMBEDDED
#include "backend-adapters/embedded/embedded.h"
#endif

namespace mtedge::gateway {

void register_builtin_adapters(backend::AdapterRegistry& registry, AuthKeyStoreProvider key_store) {
#if MTEDGE_HAVE_RELAY
  backend::relay::register_adapter(registry);
#endif
#if MTEDGE_HAVE_SOCKET
  backend::socket::register_adapter(registry);
#endif
#if MTEDGE_HAVE_EMBEDDED
  backend::embedded::register_adapter(registry, std::move(key_store));
#else
  (void)key_store;
#endif
  (void)registry;
}

}  // namespace mtedge::gateway
