// The relay adapter's configuration: the [backend.relay] block, parsed and validated once
// at startup (AdapterFactory::configure), then shared read-only by every worker.
#pragma once

#include <sys/socket.h>
#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "backend-adapters/api/config_section.h"
#include "base/status.h"
#include "codecs/core/framer.h"
#include "codecs/core/transport.h"
#include "codecs/obfuscated/secret.h"

namespace mtedge::backend::relay {

// A resolved upstream address. `text` is what the config said ("127.0.0.1:8443"), used in logs.
struct UpstreamAddress {
  std::string text;
  sockaddr_storage addr{};
};

struct RelayConfig {
  // The framing spoken to the upstream (`upstream_transport`: any transport with a framer);
  // `obfuscated` adds an obfuscated2 stage in front of it (for a transport it can carry).
  codecs::TransportKind transport = codecs::TransportKind::kIntermediate;
  UpstreamAddress upstream;                          // default upstream
  std::map<int16_t, UpstreamAddress> dc;             // per-DC upstreams, by signed dc id
  bool obfuscated = false;                           // obfuscated2 towards the upstream
  std::optional<codecs::obfuscated::Secret> secret;  // MTProxy secret for it (plain or dd)
  int16_t default_dc = 2;  // dc id sent upstream when the client's is unknown
  uint32_t connect_timeout_ms = 5000;
  size_t max_upstream_buffer_bytes = 1u << 20;  // per connection, client -> upstream
  size_t max_frame_bytes = (4u << 20) + 4096;   // largest packet accepted from the upstream

  // The upstream for a connection: its dc id's entry if configured, else the default.
  const UpstreamAddress& upstream_for(std::optional<int16_t> dc_id) const;
};

// Parses "host:port" or "[v6]:port". The host must be an IP literal or a name that
// resolves now (startup); the first address found is used.
Result<UpstreamAddress> parse_address(std::string_view text);

// Parses and validates `block` ([backend.relay]); `path` prefixes every message
// ("backend.relay.upstream: invalid address \"x\""). Unknown keys are errors. With `catalog`,
// every key read is recorded there with its default (backend-adapters/api/config_section.h).
Result<RelayConfig> parse_config(const toml::table& block, std::string_view path,
                                 config::KeyCatalog* catalog = nullptr);

// Every key of the block at `path` with its default.
config::KeyCatalog config_keys(std::string_view path);

}  // namespace mtedge::backend::relay
