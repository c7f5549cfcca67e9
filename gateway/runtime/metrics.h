// Counters, sharded per worker. Only the owning worker writes its shard (relaxed
// load+store, no locked instruction on the hot path); the admin thread reads every shard
// with relaxed loads and sums. Totals are monotonic; `active` is a gauge.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "backend-adapters/api/adapter_metrics.h"
#include "backend-adapters/api/frame.h"
#include "codecs/core/codec_error.h"
#include "codecs/detector/detector.h"
#include "mtproto/auth_keys/auth_key_store.h"
#include "mtproto/handshake/dh_pair_pool.h"

namespace mtedge::gateway {

// Errors the gateway detects itself, outside the codec table.
enum class GatewayError : uint8_t {
  kShortPacket,           // a packet shorter than an auth_key_id (8 bytes)
  kDetectTimeout,         // first byte or detection timed out
  kIdleTimeout,           // no traffic for idle_timeout_ms
  kOutboundLimit,         // the outbound queue exceeded write_buffer_limit
  kNoEdgeCrypto,          // send_message without the edge crypto stage
  kUnknownAuthKey,        // edge crypto: an encrypted packet with an unknown auth_key_id (-404)
  kBadEncrypted,          // edge crypto: msg_key or length/padding check failed (closed)
  kHandshakeRefused,      // edge crypto: a handshake query answered with a transport error
  kHandshakeRateLimited,  // edge crypto: -429, the source started handshakes too fast
  kTlsError,              // tls = true listener: TLS handshake or record failed (closed)
  kFirstPacketTimeout,    // no complete packet within first_packet_timeout_ms of the accept
  kFrameTimeout,          // no complete packet for frame_timeout_ms (bytes alone do not count)
  kAuthTimeout,           // not authenticated within auth_timeout_ms of the accept
  kProxyHeaderInvalid,    // proxy_protocol listener: the stream did not start with a PROXY header
  kProxyHeaderTimeout,    // proxy_protocol listener: no whole PROXY header in time
  kCount
};
const char* gateway_error_name(GatewayError error);

// What happened to a connection rejected by kFrontOrClose (a probe, or bad secrets).
enum class FrontingOutcome : uint8_t {
  kSpliced,        // handed to the fronting server
  kClosed,         // no fronting address: closed after a random delay
  kConnectFailed,  // the fronting server could not be reached
  kCount
};
const char* fronting_outcome_name(FrontingOutcome outcome);

// What happened to an HTTP packet routed by auth key (docs/codecs/http.md).
enum class HttpRouteOutcome : uint8_t {
  kRouted,    // handed to another connection holding a request under the same auth key
  kReturned,  // that connection was gone: queued back on the connection it came for
  kLost,      // both were gone
  kCount
};
const char* http_route_outcome_name(HttpRouteOutcome outcome);

// Why an event for the events stream (docs/events.md) was not written.
enum class EventDrop : uint8_t {
  kBacklog,   // events.max_pending_events were already waiting for Redis on this worker
  kFailed,    // the Redis client gave up on it: timed out, link lost, its own queue full
  kRefused,   // Redis answered with an error (e.g. WRONGTYPE: the key is not a stream)
  kShutdown,  // still waiting for Redis when the worker stopped
  kCount
};
const char* event_drop_name(EventDrop drop);

using backend::kCloseReasonCount;

// Detections are counted by transport (index_of its row), then one slot for kUnknown. Only
// rows with a detector rule are ever counted (and exported).
inline constexpr size_t kDetectionSlots = codecs::kTransportCount + 1;
inline constexpr size_t kUnknownDetectionSlot = codecs::kTransportCount;
// The slot of a decided detection (kMatched or kUnknown).
inline size_t detection_index(const codecs::detector::Detection& d) {
  return d.outcome == codecs::detector::Detection::Outcome::kMatched ? codecs::index_of(d.transport)
                                                                     : kUnknownDetectionSlot;
}

// Single writer: the owning worker (the same counter adapters export, adapter_metrics.h).
using Counter = backend::Counter;

struct alignas(64) MetricsShard {
  Counter accepted;
  Counter rejected_max_connections;
  Counter rejected_per_source;       // max_connections_per_source reached for the client's source
  Counter rejected_memory;           // the process's buffered bytes passed max_memory_bytes
  Counter rejected_proxy_untrusted;  // proxy_protocol listener: a source not in proxy_trusted
  // At max_connections, the oldest unauthenticated connection closed for a new one.
  Counter evicted_unauthenticated;
  Counter active;
  std::array<Counter, kCloseReasonCount> closed;
  Counter frames_in;
  Counter frames_out;
  Counter quick_acks_out;
  Counter bytes_in;
  Counter bytes_out;
  std::array<Counter, codecs::kCodecErrorCount> codec_errors;
  std::array<Counter, static_cast<size_t>(GatewayError::kCount)> gateway_errors;
  std::array<Counter, kDetectionSlots> detections;
  std::array<Counter, static_cast<size_t>(FrontingOutcome::kCount)> fronting;
  std::array<Counter, static_cast<size_t>(HttpRouteOutcome::kCount)> http_routes;
  Counter events_written;  // events Redis acknowledged (docs/events.md)
  std::array<Counter, static_cast<size_t>(EventDrop::kCount)> events_dropped;

  // One counter bump by its enum (the arrays above are indexed by these).
  void count(GatewayError e) { gateway_errors[static_cast<size_t>(e)].add(); }
  void count(FrontingOutcome o) { fronting[static_cast<size_t>(o)].add(); }
  void count(HttpRouteOutcome o) { http_routes[static_cast<size_t>(o)].add(); }
  void count(EventDrop d) { events_dropped[static_cast<size_t>(d)].add(); }
  void count(codecs::CodecError e) { codec_errors[static_cast<size_t>(e)].add(); }
  void count(const codecs::detector::Detection& d) { detections[detection_index(d)].add(); }
};

// A plain sum of all shards.
struct MetricsSnapshot {
  uint64_t accepted = 0;
  uint64_t rejected_max_connections = 0;
  uint64_t rejected_per_source = 0;
  uint64_t rejected_memory = 0;
  uint64_t rejected_proxy_untrusted = 0;
  uint64_t evicted_unauthenticated = 0;
  uint64_t active = 0;
  std::array<uint64_t, kCloseReasonCount> closed{};
  uint64_t frames_in = 0;
  uint64_t frames_out = 0;
  uint64_t quick_acks_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::array<uint64_t, codecs::kCodecErrorCount> codec_errors{};
  std::array<uint64_t, static_cast<size_t>(GatewayError::kCount)> gateway_errors{};
  std::array<uint64_t, kDetectionSlots> detections{};
  std::array<uint64_t, static_cast<size_t>(FrontingOutcome::kCount)> fronting{};
  std::array<uint64_t, static_cast<size_t>(HttpRouteOutcome::kCount)> http_routes{};
  uint64_t events_written = 0;
  std::array<uint64_t, static_cast<size_t>(EventDrop::kCount)> events_dropped{};

  void add(const MetricsShard& shard);
  uint64_t closed_total() const;
  uint64_t codec_error(codecs::CodecError e) const { return codec_errors[static_cast<size_t>(e)]; }
  uint64_t gateway_error(GatewayError e) const { return gateway_errors[static_cast<size_t>(e)]; }
  uint64_t closed_by(backend::CloseReason r) const { return closed[static_cast<size_t>(r)]; }
  uint64_t fronting_by(FrontingOutcome o) const { return fronting[static_cast<size_t>(o)]; }
  uint64_t events_dropped_by(EventDrop d) const { return events_dropped[static_cast<size_t>(d)]; }
  uint64_t events_dropped_total() const;
};

// Prometheus text exposition format (version 0.0.4).
std::string prometheus_text(const MetricsSnapshot& m, unsigned workers);
// The counters adapters export (AdapterContext::metrics), in the same format: `values` holds
// every worker's, and values of one name are summed into one counter.
std::string prometheus_adapter_text(const std::vector<backend::AdapterMetrics::Value>& values);
// The edge's auth key store: keys held, temp keys evicted for room, new keys refused as full.
std::string prometheus_key_store_text(const mtproto::AuthKeyStore& store);
// The handshake's pool of precomputed DH pairs (crypto.dh_precompute): pairs ready, taken,
// and handshakes that found it empty.
std::string prometheus_dh_pool_text(const mtproto::DhPairPool::Stats& stats);

}  // namespace mtedge::gateway
