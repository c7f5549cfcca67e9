#include "codecs/core/transport.h"

namespace mtedge::codecs {

std::optional<TransportKind> parse_transport(std::string_view name) {
  for (const TransportRow& row : kTransports) {
    if (row.name == name) return row.kind;
  }
  return std::nullopt;
}

std::optional<TransportKind> transport_for_obfuscated2_tag(uint32_t tag_le) {
  for (const TransportRow& row : kTransports) {
    if (row.obfuscated2_tag != 0 && row.obfuscated2_tag == tag_le) return row.kind;
  }
  return std::nullopt;
}

std::string transport_names(TransportSet set) {
  std::string out;
  for (const TransportRow& row : kTransports) {
    if (!set.contains(row.kind)) continue;
    if (!out.empty()) out += ", ";
    out += row.name;
  }
  return out;
}

}  // namespace mtedge::codecs
