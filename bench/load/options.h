// mtedge-load's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "bench/load/client_transport.h"

namespace mtedge::bench {

enum class LoadMode : uint8_t {
  kRaw,        // frames of --size bytes, echoed back (relay mode against an echo upstream)
  kPing,       // a DH handshake per connection, then encrypted pings (terminate mode)
  kHandshake,  // connect, DH handshake, close, again: handshakes per second
  kIdle,       // one round trip per connection (raw frame, or handshake with --rsa-key), then
               // hold the connections open: memory per idle connection
  kMessenger,  // --pairs pairs of users signed in to the embedded backend, one connection
               // each; senders send messages.sendMessage, receivers read the pushed updates
};

struct SizeWeight {
  size_t size = 0;
  unsigned weight = 1;
};

struct LoadOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  TransportSpec transport;
  std::optional<codecs::obfuscated::Secret> secret;
  unsigned connections = 1;  // messenger mode: 2 * pairs
  unsigned pairs = 64;       // messenger mode: sender/receiver pairs
  unsigned inflight = 1;     // frames (or pings) in flight per connection; messages per pair
  std::vector<SizeWeight> sizes{{64, 1}};  // raw frame payload sizes (message texts), by weight
  double rate = 0;                         // frames/s over all connections; 0 = closed loop
  double duration_s = 5;
  double warmup_s = 1;  // traffic before the measured window
  // Connections not set up (handshake included) this long after the start are errors.
  double setup_timeout_s = 60;
  LoadMode mode = LoadMode::kRaw;
  std::string rsa_key_file;  // ping / handshake / messenger: the server's key (PEM)
  int32_t dc = 2;
  std::string json_file;
  int watch_pid = 0;  // report this process's CPU and RSS (from /proc)
  bool allow_remote = false;
  bool quiet = false;
};

// Parses argv; an error message names the flag. `--help` yields an error holding the usage.
Result<LoadOptions> parse_options(int argc, char** argv);

std::string_view mode_name(LoadMode mode);

// True for 127.0.0.0/8 and ::1.
bool is_loopback(const std::string& host);

}  // namespace mtedge::bench
