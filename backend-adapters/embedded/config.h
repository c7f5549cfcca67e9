// The embedded adapter's configuration: the [backend.embedded] block, parsed and validated
// once at startup (AdapterFactory::configure), then shared read-only by every worker.
#pragma once

#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "backend-adapters/api/config_section.h"
#include "base/status.h"

namespace mtedge::backend::embedded {

struct EmbeddedConfig {
  // What help.getConfig / help.getNearestDc advertise: this DC's id and the address clients
  // should connect to (the gateway's public address, not necessarily a listener's bind address).
  int32_t this_dc = 2;
  std::string advertised_ip = "127.0.0.1";
  uint16_t advertised_port = 443;
  bool advertised_ipv6 = false;  // derived from advertised_ip
  bool test_mode = false;        // config.test_mode
  // Development only: the login code every number that is not a test number (99966XYYYY)
  // gets; "" (default): a random code, written to the log.
  std::string dev_login_code;

  // Memory bounds.
  size_t max_sessions = 100'000;        // sessions in the process; least recently used evicted
  size_t max_sessions_per_key = 32;     // sessions of one auth key; its own LRU one evicted
  size_t max_auth_keys = 100'000;       // per-key state (layer, app info); LRU evicted
  size_t max_queued_messages = 256;     // unacknowledged server messages per session
  size_t max_stored_results = 64;       // answered queries remembered per session (duplicates)
  size_t max_remembered_msg_ids = 512;  // received client msg_ids remembered per session
  // gzip_packed: inflated bytes accepted for one whole packet (every gzip_packed in it together;
  // a packet may also inflate at most 4 times its own size, at least 8 KiB).
  size_t max_inflate_bytes = 1u << 20;
  size_t max_packet_nodes = 1u << 16;  // TL nodes one packet may hold (items, ids, JSON values)

  // Messenger.
  uint32_t online_expiry_s =
      300;  // account.updateStatus(offline=false) keeps a user online this long
  uint32_t messages_per_second = 30;  // messages one user may send a second (token bucket refill)
  uint32_t message_burst = 300;       // and at once (bucket size); over it: FLOOD_WAIT_X

  // Lifetimes.
  uint32_t session_idle_expiry_s = 600;  // a session idle this long (no live connection) is dropped
  uint32_t salt_rotation_s =
      1800;  // a server salt is current this long, then accepted as long again

  // Durable state (docs/backends/embedded-storage.md "The messenger's log"): the log file of
  // the messenger state ("": in memory only, lost on restart), whether its writer batches
  // fsyncs, and when it is compacted (records appended since the last compaction past
  // max(this, the last snapshot's size); 0: never).
  std::string state_file;
  bool group_commit = true;
  uint64_t compact_after_bytes = 64u << 20;
};

// Parses and validates `block` ([backend.embedded]); `path` prefixes every message
// ("backend.embedded.advertised_port: must be between 1 and 65535 [value = 0]"). Unknown keys
// are errors. With `catalog`, every key read is recorded there with its default
// (backend-adapters/api/config_section.h).
Result<EmbeddedConfig> parse_config(const toml::table& block, std::string_view path,
                                    config::KeyCatalog* catalog = nullptr);

// Every key of the block at `path` with its default.
config::KeyCatalog config_keys(std::string_view path);

}  // namespace mtedge::backend::embedded
