// The socket adapter's configuration: the [backend.socket] block, parsed and validated once
// at startup (AdapterFactory::configure), then shared read-only by every worker.
#pragma once

#include <sys/socket.h>
#include <toml++/toml.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend-adapters/api/config_section.h"
#include "base/status.h"

namespace mtedge::backend::socket {

// One backend endpoint: "host:port" / "[v6]:port" (TCP) or a Unix socket path ("/run/b.sock"
// or "unix:/run/b.sock"). `name` is the text as configured: it identifies the endpoint for
// hashing and in logs.
struct Endpoint {
  std::string name;
  bool is_unix = false;
  std::string path;         // Unix
  sockaddr_storage addr{};  // TCP
};

// What a client bound to an endpoint that is down gets.
struct DownOutcome {
  bool close = true;       // close the connection
  int32_t error_code = 0;  // else: this transport error (-429 or -444), then close
};

struct SocketConfig {
  std::vector<Endpoint> endpoints;
  std::string gateway_id = "mtedge";
  uint32_t connect_timeout_ms = 2000;             // connect + hello answered
  uint32_t reconnect_min_ms = 100;                // first backoff, doubled per failure
  uint32_t reconnect_max_ms = 5000;               // backoff ceiling
  uint32_t credit_window = 256;                   // messages the backend may have outstanding
  uint32_t max_held_credit_per_client = 0;        // credit one slow client may hold; 0: window / 8
  size_t max_queued_bytes = 4u << 20;             // per stream: bytes waiting for credit or socket
  size_t max_message_bytes = (4u << 20) + 65536;  // either way
  uint32_t message_deadline_ms = 5000;            // longest a client frame may wait for credit
  // Longest the oldest byte queued to the stream's socket may stay unwritten (not taken by the
  // kernel): past it the backend has stopped reading and the endpoint is down.
  uint32_t write_deadline_ms = 10000;
  DownOutcome on_backend_down;
  double handshake_load_factor = 1.25;  // bounded load for handshake connections
};

// Resolves one endpoint text (TCP hosts must resolve now, at startup).
Result<Endpoint> parse_endpoint(std::string_view text);

// Parses and validates `block` ([backend.socket]); `path` prefixes every message
// ("backend.socket.endpoints[1]: invalid endpoint ..."). Unknown keys are errors. With
// `catalog`, every key read is recorded there with its default
// (backend-adapters/api/config_section.h).
Result<SocketConfig> parse_config(const toml::table& block, std::string_view path,
                                  config::KeyCatalog* catalog = nullptr);

// Every key of the block at `path` with its default.
config::KeyCatalog config_keys(std::string_view path);

}  // namespace mtedge::backend::socket
