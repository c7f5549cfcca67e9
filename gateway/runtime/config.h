// The gateway's configuration (conf/mtedge.toml documents every key; docs/configuration.md
// too). Parsing lives in config.cc, the only file that runs toml++'s parser.
//
// Every error names the key path, e.g. `listener[1].address: invalid address "1.2.3"`
// (array indexes count from 0). Unknown keys and values of the wrong type are errors in
// every block; the selected adapter's factory reads its own block with the same reader
// (backend-adapters/api/config_section.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "backend-adapters/api/config_section.h"
#include "base/status.h"
#include "codecs/core/transport.h"
#include "codecs/obfuscated/secret.h"
#include "crypto/rsa.h"
#include "gateway/runtime/address.h"
#include "gateway/runtime/privileges.h"
#include "redis/options.h"

namespace mtedge::backend {
class AdapterRegistry;
}

namespace mtedge::gateway {

class TlsServerContext;

class EdgeCrypto;

struct GatewaySettings {
  unsigned workers = 0;  // resolved: 0 in the file means one per core
  uint64_t max_connections = 10000;
  // Admission (docs/operations.md "Admission"): open connections per source (an IPv4
  // address, an IPv6 /64); loopback sources are exempt unless limit_loopback_sources.
  uint64_t max_connections_per_source = 1000;
  bool limit_loopback_sources = false;
  // Deadlines from the accept: the first complete packet, and being authenticated (edge
  // decryption: a packet that decrypted under a known key; without it: the backend sent
  // the connection something after its first encrypted packet). Then at least one complete
  // packet every frame_timeout_ms: bytes alone do not keep a connection open.
  uint32_t first_packet_timeout_ms = 30000;
  uint32_t auth_timeout_ms = 60000;
  uint32_t frame_timeout_ms = 300000;
  // Bytes buffered for clients in the whole process (inbound tails, outbound queues, HTTP
  // queues and stashes) past which new connections are refused.
  uint64_t max_memory_bytes = uint64_t(4) << 30;
  uint32_t first_byte_timeout_ms = 10000;
  uint32_t detect_timeout_ms = 10000;
  uint32_t idle_timeout_ms = 300000;
  // A streaming connection quiet this long drops the state its codecs can rebuild (the
  // obfuscated2 round keys); 0 = never.
  uint32_t park_after_ms = 1000;
  uint32_t shutdown_timeout_ms = 5000;
  size_t max_frame_bytes = (4u << 20) + 4096;
  size_t first_frame_max_bytes = (1u << 20) + 4096;
  size_t write_buffer_high = 1u << 20;
  size_t write_buffer_low = 256u << 10;
  size_t write_buffer_limit = 16u << 20;
  size_t read_buffer_bytes = 64u << 10;
  // obfuscated2 / fake-TLS anti-replay: every listener has its own caches (shared by all
  // workers), one per kind of init, each of replay_max_entries.
  int64_t replay_window_seconds = 900;
  size_t replay_max_entries = 1u << 18;
  int64_t tls_max_past_seconds = 600;
  int64_t tls_max_future_seconds = 120;
  uint32_t fronting_connect_timeout_ms = 5000;
  // MTProto over HTTP: a POST nobody answers is answered 200 with an empty body after this
  // long (the gateway's bound on a long poll; a backend with sessions answers its own long
  // polls earlier, with an empty container: the embedded backend at <= 25 s).
  uint32_t http_max_wait_ms = 30000;
  // Run as this user (and group) once the listeners are bound, before any file is opened for
  // writing (gateway/runtime/privileges.h). Unset: keep the starting user.
  std::optional<RunAs> run_as;
  // log.access, copied here for the connections (docs/operations.md "Access log").
  bool access_log = false;
};

// Connections name their listener by a 16-bit index.
inline constexpr size_t kMaxListeners = 65535;

struct ListenerConfig {
  std::string name;
  std::string address_text;
  SocketAddress address;
  int backlog = 1024;
  // Whether this process may bind the port while another process holds it (a hand-over
  // restart). Off: a port already bound elsewhere is a startup error, not silent sharing.
  bool share_port = false;
  // PROXY protocol v1/v2 (docs/operations.md "PROXY protocol"): every connection starts with
  // a header, accepted only from `proxy_trusted` sources (others are refused at accept).
  bool proxy_protocol = false;
  std::vector<Cidr> proxy_trusted;
  // The transports served (the detector answers only these). An HTTP request becomes MTProto
  // over POST with kHttp, a WebSocket upgrade on /apiws* with kWebSocket (either one lets the
  // detector hand HTTP requests over).
  codecs::TransportSet transports = {
      codecs::TransportKind::kAbridged, codecs::TransportKind::kIntermediate,
      codecs::TransportKind::kPaddedIntermediate, codecs::TransportKind::kFull};
  // MTProxy secrets (plain, dd, ee); the label goes to logs and ConnInfo.
  std::vector<codecs::obfuscated::Secret> secrets;
  bool allow_no_secret = true;  // obfuscated2 without a secret; default: true iff no secrets
  bool dd_strict = false;       // dd secrets accept only the padded inner tag
  // Where rejected connections are spliced (a real web server); unset = close after a delay.
  std::optional<SocketAddress> fronting;
  std::string fronting_text;
  // TLS termination (`tls = true`): the detector runs on the decrypted bytes.
  std::shared_ptr<TlsServerContext> tls;
  std::string tls_cert_file;
  std::string tls_key_file;
};

// [crypto]: the edge crypto stage (gateway/edge/edge_crypto.h). The RSA keys are loaded and checked
// while the config is parsed; the auth key file is opened only when the gateway starts.
struct CryptoConfig {
  bool edge_decryption = false;
  std::vector<std::string> rsa_private_key_paths;  // resolved (config::resolve_config_path)
  std::vector<crypto::RsaPrivateKey> rsa_keys;     // loaded from rsa_private_key_paths
  std::string auth_key_file;                       // empty: keys live in memory only
  int32_t dc_id = 2;                               // this DC, checked in p_q_inner_data_dc
  bool test_dc = false;                            // clients send dc_id + 10000
  bool allow_temp_keys = true;                     // accept p_q_inner_data_temp* (PFS)
  uint32_t handshake_timeout_ms = 30000;           // resPQ -> dh_gen_ok
  size_t max_handshakes_per_connection = 2;
  size_t max_handshakes_per_ip = 16;
  size_t max_handshakes = 4096;  // in flight in the whole process
  // Handshakes started (req_DH_params) per second per source, and the bucket's size; 0: no rate.
  uint32_t max_handshakes_per_second_per_source = 20;
  uint32_t handshake_burst_per_source = 40;
  bool allow_legacy_rsa = true;  // accept the pre-RSA_PAD layout (Telethon 1.x)
  // Threads for the handshakes' RSA and modexp work; 0: on the worker loops.
  uint32_t handshake_threads = 2;
  // Precomputed server DH pairs (b, g^b) kept ready, refilled in idle time; 0: none.
  size_t dh_precompute = 64;
};

// [admin]: the management API (gateway/admin/, docs/operations.md "Management API").
struct AdminConfig {
  bool enabled = false;
  std::string address_text;
  SocketAddress address;
  // Bearer token every /v1/ endpoint requires ("" = none; token_file reads it from a file).
  std::string token;
  // With a token: /metrics, /health and /ready require it too.
  bool protect_metrics = false;
  // Clients allowed to connect (others get 403); loopback by default.
  std::vector<Cidr> allow;
  // Admin connections open at once; more are closed at accept, unanswered (counted as busy).
  uint32_t max_connections = 16;
};

struct LogConfig {
  std::string level = "info";   // trace debug info warn error critical off
  std::string format = "text";  // text | json
  bool access = false;          // one `access:` line per closed connection
};

// [events] (docs/events.md): connection events and periodic counters, XADDed by every worker
// through its own redis::Client to one capped Redis Stream.
struct EventsConfig {
  bool enabled = false;  // sink = "redis" (needs [redis]); "none" writes nothing
  // The stream's key; the hash tag keeps it (and anything named alongside) in one slot.
  std::string stream = "{mtedge}:events";
  uint64_t maxlen = 100000;  // XADD MAXLEN ~ maxlen: Redis trims to about this many entries
  // Which events are written (`events = [...]`).
  bool connection_opened = true;
  bool connection_closed = true;
  bool counters = true;
  uint32_t counters_interval_ms = 10000;
  // Names this process in every event; resolved: "<hostname>:<pid>" when not set.
  std::string gateway_id;
  // Per worker: events sent to Redis and not yet acknowledged; past it new ones are dropped.
  size_t max_pending_events = 10000;
};

using AdapterMaker =
    std::function<std::unique_ptr<backend::BackendAdapter>(const backend::AdapterContext&)>;

struct Config {
  // The config file's folder, absolute ("" for a config that is not a file): relative file
  // paths in the config resolve against it.
  std::string config_dir;
  GatewaySettings gateway;
  std::vector<ListenerConfig> listeners;
  CryptoConfig crypto;
  std::string backend_type;
  // Builds one adapter per worker from the validated [backend.<type>] block. Tests may set
  // it directly instead of going through a registry.
  AdapterMaker make_adapter;
  // The process-wide edge crypto state (RSA keys, auth key store, handshakes). Gateway::start
  // opens it when crypto.edge_decryption is on; main.cc creates it earlier so the embedded
  // adapter's key store provider can reach it.
  std::shared_ptr<EdgeCrypto> edge;
  AdminConfig admin;
  LogConfig log;
  // [redis]: absent = no Redis (nothing in the gateway uses Redis unless it is configured).
  std::optional<redis::ClientOptions> redis;
  EventsConfig events;
  // Settings that are valid one by one but work against each other, naming the keys
  // (e.g. gateway.replay_window_seconds shorter than the fake-TLS timestamp window). mtedge
  // logs them at startup and --check-config prints them.
  std::vector<std::string> warnings;
};

// Parses and validates a whole config. `registry` provides the adapter named by
// backend.type; its factory's configure() validates [backend.<type>]. Relative file paths
// resolve against `config_dir` (load_config_file passes the file's folder); "" leaves them
// relative to the working directory.
Result<Config> parse_config(std::string_view toml_text, const backend::AdapterRegistry& registry,
                            std::string_view source_name = "config",
                            std::string_view config_dir = "");
Result<Config> load_config_file(const std::string& path, const backend::AdapterRegistry& registry);

// Which clients a listener admits, for its startup line: its secrets by label and kind (never
// the secret), and, when it serves obfuscated2 or WebSocket, whether clients without a secret
// are admitted, and, with secrets, which of its transports admit anyone anyway (the plain
// ones). E.g. `secrets friends (dd), site (ee example.com); without a secret (obfuscated2,
// WebSocket): refused; abridged,http need no secret`.
std::string describe_admitted_clients(const ListenerConfig& listener);

// Every key the config readers know, the selected adapter's and every built-in adapter's
// block included, with its default and range as the readers apply them (conf/mtedge.toml and
// docs/configuration.md are checked against this by a unit test).
backend::config::KeyCatalog config_keys(const backend::AdapterRegistry& registry);

}  // namespace mtedge::gateway
