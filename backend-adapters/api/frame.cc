#include "backend-adapters/api/frame.h"

#include <string>

namespace mtedge::backend {

const char* close_reason_name(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed: return "peer_closed";
    case CloseReason::kProtocolError: return "protocol_error";
    case CloseReason::kTimeout: return "timeout";
    case CloseReason::kLimit: return "limit";
    case CloseReason::kAdapter: return "adapter";
    case CloseReason::kShutdown: return "shutdown";
    case CloseReason::kAdminKill: return "admin_kill";
  }
  return "unknown";
}

std::string transport_path(const ConnInfo& info) {
  using codecs::TransportKind;
  std::string path(codecs::transport_name(info.transport));
  if (info.framing == info.transport) return path;
  // A WebSocket carries obfuscated2 (docs/spec/wire-notes.md §5); fake-TLS does too, but
  // its path has always named only the framing inside.
  if (info.transport == TransportKind::kWebSocket) {
    path += '/';
    path += codecs::transport_name(TransportKind::kObfuscated);
  }
  path += '/';
  path += codecs::transport_name(info.framing);
  return path;
}

}  // namespace mtedge::backend
