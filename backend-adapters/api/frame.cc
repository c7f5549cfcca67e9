#include "backend-adapters/api/frame.h"

namespace mtedge::backend {

const char* close_reason_name(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed: return "peer_closed";
    case CloseReason::kProtocolError: return "protocol_error";
    case CloseReason::kTimeout: return "timeout";
    case CloseReason::kLimit: return "limit";
    case CloseReason::kAdapter: return "adapter";
    case CloseReason::kShutdown: return "shutdown";
  }
  return "unknown";
}

}  // namespace mtedge::backend
