#include "gateway/adapters.h"

#include "backend-adapters/api/adapter_factory.h"

#if MTEDGE_HAVE_RELAY
#include "backend-adapters/relay/relay.h"
#endif

namespace mtedge::gateway {

void register_builtin_adapters(backend::AdapterRegistry& registry) {
#if MTEDGE_HAVE_RELAY
  backend::relay::register_adapter(registry);
#endif
  (void)registry;
}

}  // namespace mtedge::gateway
