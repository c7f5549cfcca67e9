// The entries the gateway writes to its events stream (docs/events.md lists every field): the
// field/value pairs of one XADD, built from plain facts without any I/O, and the XADD itself.
// Every entry starts with the same five fields: v (the schema version), type, gateway,
// worker, ts_ms. Numbers are decimal text; a field whose value is unknown is left out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/runtime/metrics.h"
#include "redis/command.h"

namespace mtedge::gateway::events {

// Bumped when a field changes meaning or goes away; new fields may appear without a bump.
inline constexpr std::string_view kSchemaVersion = "1";

enum class EventType : uint8_t { kConnectionOpened, kConnectionClosed, kCounters };
const char* event_type_name(EventType type);

using Fields = std::vector<std::pair<std::string, std::string>>;

// Who writes: the same on every event of one worker.
struct Origin {
  std::string gateway_id;  // events.gateway_id
  unsigned worker = 0;
};

// A connection as both of its events describe it.
struct ConnectionFacts {
  uint64_t conn_id = 0;
  std::string listener;
  std::string client;     // "ip:port" or "[v6]:port": the PROXY header's client when it named one
  std::string transport;  // backend::transport_path; "" when never identified
  std::string secret;     // the matched secret's label; "" for none
  std::optional<int16_t> dc;  // from the obfuscated2 header
  bool tls = false;           // TLS terminated by a `tls = true` listener
  bool proxied = false;       // `client` came from a PROXY header
};

// What only the close knows.
struct CloseFacts {
  uint64_t bytes_in = 0;  // as on the wire (TLS records included), like the access line
  uint64_t bytes_out = 0;
  uint64_t duration_ms = 0;  // from the accept
  std::string_view reason;   // backend::close_reason_name, the access line's `reason=`
  bool authenticated = false;
};

// `unix_ms`: wall-clock milliseconds since the epoch (the ts_ms field).
Fields connection_opened(const Origin& origin, uint64_t unix_ms, const ConnectionFacts& conn);
Fields connection_closed(const Origin& origin, uint64_t unix_ms, const ConnectionFacts& conn,
                         const CloseFacts& close);
// The gateway's main counters, summed over every worker (the same values /metrics shows).
Fields counters(const Origin& origin, uint64_t unix_ms, const MetricsSnapshot& m);

// XADD <stream> MAXLEN ~ <maxlen> * <field> <value> ... (the stream is argument 1, the key).
redis::Args xadd_args(std::string_view stream, uint64_t maxlen, const Fields& fields);

}  // namespace mtedge::gateway::events
