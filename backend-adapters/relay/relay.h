// The relay adapter (backend.type = "relay"): a compatibility proxy in front of an existing
// MTProto server. Every client connection gets its own upstream TCP connection, chosen by
// the connection's dc id (else the default upstream), speaking the configured upstream
// transport; packets, quick-ack requests and tokens, and transport errors are re-framed both
// ways. See docs/backends/relay.md.
#pragma once

#include "backend-adapters/api/adapter_factory.h"

namespace mtedge::backend::relay {

// Registers the factory under the name "relay".
void register_adapter(AdapterRegistry& registry);

}  // namespace mtedge::backend::relay
