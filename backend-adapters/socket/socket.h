// The socket adapter (backend.type = "socket"): out-of-process backends speaking mtedge.v1
// (proto/mtedge/v1/backend.proto) over one persistent TCP or Unix connection per worker
// and endpoint, with auth keys spread over the endpoints by rendezvous hashing, credit-based
// flow control both ways, reconnect with backoff and a fail-closed outcome while an
// endpoint is down. See docs/backends/socket.md and docs/protocol.md.
#pragma once

#include "backend-adapters/api/adapter_factory.h"

namespace mtedge::backend::socket {

// Registers the factory under the name "socket".
void register_adapter(AdapterRegistry& registry);

}  // namespace mtedge::backend::socket
