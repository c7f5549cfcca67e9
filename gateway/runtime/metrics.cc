#include "gateway/runtime/metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace mtedge::gateway {

const char* gateway_error_name(GatewayError error) {
  switch (error) {
    case GatewayError::kShortPacket: return "short_packet";
    case GatewayError::kDetectTimeout: return "detect_timeout";
    case GatewayError::kIdleTimeout: return "idle_timeout";
    case GatewayError::kOutboundLimit: return "outbound_limit";
    case GatewayError::kNoEdgeCrypto: return "no_edge_crypto";
    case GatewayError::kUnknownAuthKey: return "unknown_auth_key";
    case GatewayError::kBadEncrypted: return "bad_encrypted_message";
    case GatewayError::kHandshakeRefused: return "handshake_refused";
    case GatewayError::kHandshakeRateLimited: return "handshake_rate_limited";
    case GatewayError::kTlsError: return "tls_error";
    case GatewayError::kFirstPacketTimeout: return "first_packet_timeout";
    case GatewayError::kFrameTimeout: return "frame_timeout";
    case GatewayError::kAuthTimeout: return "auth_timeout";
    case GatewayError::kProxyHeaderInvalid: return "proxy_header_invalid";
    case GatewayError::kProxyHeaderTimeout: return "proxy_header_timeout";
    case GatewayError::kCount: break;
  }
  return "unknown";
}

const char* fronting_outcome_name(FrontingOutcome outcome) {
  switch (outcome) {
    case FrontingOutcome::kSpliced: return "spliced";
    case FrontingOutcome::kClosed: return "closed";
    case FrontingOutcome::kConnectFailed: return "connect_failed";
    case FrontingOutcome::kCount: break;
  }
  return "unknown";
}

const char* http_route_outcome_name(HttpRouteOutcome outcome) {
  switch (outcome) {
    case HttpRouteOutcome::kRouted: return "routed";
    case HttpRouteOutcome::kReturned: return "returned";
    case HttpRouteOutcome::kLost: return "lost";
    case HttpRouteOutcome::kCount: break;
  }
  return "unknown";
}

const char* event_drop_name(EventDrop drop) {
  switch (drop) {
    case EventDrop::kBacklog: return "backlog";
    case EventDrop::kFailed: return "failed";
    case EventDrop::kRefused: return "refused";
    case EventDrop::kShutdown: return "shutdown";
    case EventDrop::kCount: break;
  }
  return "unknown";
}

void MetricsSnapshot::add(const MetricsShard& s) {
  accepted += s.accepted.get();
  rejected_max_connections += s.rejected_max_connections.get();
  rejected_per_source += s.rejected_per_source.get();
  rejected_memory += s.rejected_memory.get();
  rejected_proxy_untrusted += s.rejected_proxy_untrusted.get();
  evicted_unauthenticated += s.evicted_unauthenticated.get();
  active += s.active.get();
  for (size_t i = 0; i < closed.size(); ++i) closed[i] += s.closed[i].get();
  frames_in += s.frames_in.get();
  frames_out += s.frames_out.get();
  quick_acks_out += s.quick_acks_out.get();
  bytes_in += s.bytes_in.get();
  bytes_out += s.bytes_out.get();
  for (size_t i = 0; i < codec_errors.size(); ++i) codec_errors[i] += s.codec_errors[i].get();
  for (size_t i = 0; i < gateway_errors.size(); ++i) gateway_errors[i] += s.gateway_errors[i].get();
  for (size_t i = 0; i < detections.size(); ++i) detections[i] += s.detections[i].get();
  for (size_t i = 0; i < fronting.size(); ++i) fronting[i] += s.fronting[i].get();
  for (size_t i = 0; i < http_routes.size(); ++i) http_routes[i] += s.http_routes[i].get();
  events_written += s.events_written.get();
  for (size_t i = 0; i < events_dropped.size(); ++i) events_dropped[i] += s.events_dropped[i].get();
}

uint64_t MetricsSnapshot::events_dropped_total() const {
  uint64_t n = 0;
  for (uint64_t d : events_dropped) n += d;
  return n;
}

uint64_t MetricsSnapshot::closed_total() const {
  uint64_t n = 0;
  for (uint64_t c : closed) n += c;
  return n;
}

std::string prometheus_text(const MetricsSnapshot& m, unsigned workers) {
  fmt::memory_buffer out;
  auto metric = [&](const char* name, const char* type, const char* help) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  metric("mtedge_workers", "gauge", "Worker threads.");
  fmt::format_to(std::back_inserter(out), "mtedge_workers {}\n", workers);
  metric("mtedge_connections_accepted_total", "counter", "Client connections accepted.");
  fmt::format_to(std::back_inserter(out), "mtedge_connections_accepted_total {}\n", m.accepted);
  metric("mtedge_connections_rejected_total", "counter",
         "Connections accepted and closed at once because a limit was reached.");
  fmt::format_to(std::back_inserter(out),
                 "mtedge_connections_rejected_total{{reason=\"max_connections\"}} {}\n"
                 "mtedge_connections_rejected_total{{reason=\"per_source\"}} {}\n"
                 "mtedge_connections_rejected_total{{reason=\"memory\"}} {}\n"
                 "mtedge_connections_rejected_total{{reason=\"proxy_untrusted\"}} {}\n",
                 m.rejected_max_connections, m.rejected_per_source, m.rejected_memory,
                 m.rejected_proxy_untrusted);
  metric("mtedge_connections_evicted_total", "counter",
         "Open connections closed to admit a new one at max_connections, by reason.");
  fmt::format_to(std::back_inserter(out),
                 "mtedge_connections_evicted_total{{reason=\"unauthenticated\"}} {}\n",
                 m.evicted_unauthenticated);
  metric("mtedge_connections_active", "gauge", "Open client connections.");
  fmt::format_to(std::back_inserter(out), "mtedge_connections_active {}\n", m.active);
  metric("mtedge_connections_closed_total", "counter", "Client connections closed, by reason.");
  for (size_t i = 0; i < m.closed.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "mtedge_connections_closed_total{{reason=\"{}\"}} {}\n",
                   backend::close_reason_name(static_cast<backend::CloseReason>(i)), m.closed[i]);
  }
  metric("mtedge_frames_total", "counter", "MTProto packets, by direction.");
  fmt::format_to(std::back_inserter(out), "mtedge_frames_total{{direction=\"in\"}} {}\n",
                 m.frames_in);
  fmt::format_to(std::back_inserter(out), "mtedge_frames_total{{direction=\"out\"}} {}\n",
                 m.frames_out);
  metric("mtedge_quick_acks_total", "counter", "Quick-ack tokens sent to clients.");
  fmt::format_to(std::back_inserter(out), "mtedge_quick_acks_total {}\n", m.quick_acks_out);
  metric("mtedge_bytes_total", "counter", "Socket bytes, by direction.");
  fmt::format_to(std::back_inserter(out), "mtedge_bytes_total{{direction=\"in\"}} {}\n",
                 m.bytes_in);
  fmt::format_to(std::back_inserter(out), "mtedge_bytes_total{{direction=\"out\"}} {}\n",
                 m.bytes_out);
  metric("mtedge_codec_errors_total", "counter", "Codec and gateway errors, by name.");
  for (size_t i = 1; i < m.codec_errors.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "mtedge_codec_errors_total{{error=\"{}\"}} {}\n",
                   codecs::error_name(static_cast<codecs::CodecError>(i)), m.codec_errors[i]);
  }
  for (size_t i = 0; i < m.gateway_errors.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "mtedge_codec_errors_total{{error=\"{}\"}} {}\n",
                   gateway_error_name(static_cast<GatewayError>(i)), m.gateway_errors[i]);
  }
  metric("mtedge_detections_total", "counter", "Detector outcomes, by transport.");
  for (const codecs::TransportRow& row : codecs::kTransports) {
    if (!codecs::detector::has_rule(row.kind)) continue;
    fmt::format_to(std::back_inserter(out), "mtedge_detections_total{{transport=\"{}\"}} {}\n",
                   row.name, m.detections[codecs::index_of(row.kind)]);
  }
  fmt::format_to(std::back_inserter(out), "mtedge_detections_total{{transport=\"unknown\"}} {}\n",
                 m.detections[kUnknownDetectionSlot]);
  metric("mtedge_fronting_total", "counter",
         "Rejected connections (probes, bad secrets), by outcome.");
  for (size_t i = 0; i < m.fronting.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "mtedge_fronting_total{{outcome=\"{}\"}} {}\n",
                   fronting_outcome_name(static_cast<FrontingOutcome>(i)), m.fronting[i]);
  }
  metric("mtedge_http_routed_total", "counter",
         "HTTP packets routed by auth key to another connection's waiting request, by outcome.");
  for (size_t i = 0; i < m.http_routes.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "mtedge_http_routed_total{{outcome=\"{}\"}} {}\n",
                   http_route_outcome_name(static_cast<HttpRouteOutcome>(i)), m.http_routes[i]);
  }
  metric("mtedge_events_written_total", "counter",
         "Events (connection events, counters) Redis acknowledged on the events stream.");
  fmt::format_to(std::back_inserter(out), "mtedge_events_written_total {}\n", m.events_written);
  metric("mtedge_events_dropped_total", "counter", "Events not written, by reason.");
  for (size_t i = 0; i < m.events_dropped.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "mtedge_events_dropped_total{{reason=\"{}\"}} {}\n",
                   event_drop_name(static_cast<EventDrop>(i)), m.events_dropped[i]);
  }
  return fmt::to_string(out);
}

std::string prometheus_adapter_text(const std::vector<backend::AdapterMetrics::Value>& values) {
  std::vector<backend::AdapterMetrics::Value> sums;  // first-seen order; a handful of names
  for (const auto& v : values) {
    auto same =
        std::find_if(sums.begin(), sums.end(), [&](const auto& s) { return s.name == v.name; });
    if (same == sums.end()) {
      sums.push_back(v);
    } else {
      same->value += v.value;
    }
  }
  fmt::memory_buffer out;
  for (const auto& s : sums) {
    fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} counter\n{} {}\n", s.name,
                   s.help, s.name, s.name, s.value);
  }
  return fmt::to_string(out);
}

std::string prometheus_key_store_text(const mtproto::AuthKeyStore& store) {
  const mtproto::AuthKeyStore::Counters c = store.counters();
  return fmt::format(
      "# HELP mtedge_auth_keys Auth keys in the edge's key store (permanent and temporary).\n"
      "# TYPE mtedge_auth_keys gauge\nmtedge_auth_keys {}\n"
      "# HELP mtedge_auth_keys_evicted_total Temporary auth keys dropped (expired or least "
      "recently used) to make room for new keys.\n"
      "# TYPE mtedge_auth_keys_evicted_total counter\nmtedge_auth_keys_evicted_total {}\n"
      "# HELP mtedge_auth_keys_refused_total New auth keys refused: the store held only "
      "permanent keys at its capacity.\n"
      "# TYPE mtedge_auth_keys_refused_total counter\nmtedge_auth_keys_refused_total {}\n",
      store.size(), c.evicted, c.refused_full);
}

std::string prometheus_dh_pool_text(const mtproto::DhPairPool::Stats& stats) {
  return fmt::format(
      "# HELP mtedge_dh_pool_pairs Precomputed server DH pairs ready for handshakes.\n"
      "# TYPE mtedge_dh_pool_pairs gauge\nmtedge_dh_pool_pairs {}\n"
      "# HELP mtedge_dh_pool_taken_total DH pairs handshakes took from the pool.\n"
      "# TYPE mtedge_dh_pool_taken_total counter\nmtedge_dh_pool_taken_total {}\n"
      "# HELP mtedge_dh_pool_misses_total Handshakes that found the DH pool empty and computed "
      "their own pair.\n"
      "# TYPE mtedge_dh_pool_misses_total counter\nmtedge_dh_pool_misses_total {}\n",
      stats.size, stats.taken, stats.misses);
}

}  // namespace mtedge::gateway
