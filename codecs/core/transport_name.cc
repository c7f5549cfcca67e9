#include "codecs/core/framer.h"

namespace mtedge::codecs {

std::string_view transport_name(TransportKind kind) {
  switch (kind) {
    case TransportKind::kAbridged: return "abridged";
    case TransportKind::kIntermediate: return "intermediate";
    case TransportKind::kPaddedIntermediate: return "padded";
    case TransportKind::kFull: return "full";
  }
  return "unknown";
}

}  // namespace mtedge::codecs
