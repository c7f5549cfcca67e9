// The adapters built into this binary, registered under the names backend.type accepts.
#pragma once

namespace mtedge::backend {
class AdapterRegistry;
}

namespace mtedge::gateway {

// Registers every adapter this build has ("relay" when backend-adapters/relay is built).
void register_builtin_adapters(backend::AdapterRegistry& registry);

}  // namespace mtedge::gateway
