#include "codecs/framers/framers.h"

#include <type_traits>

#include "codecs/abridged/abridged.h"
#include "codecs/full/full.h"
#include "codecs/intermediate/intermediate.h"
#include "codecs/intermediate/padded.h"

namespace mtedge::codecs {
namespace {

// The framer column's placeholder for rows without a framer.
struct no_framer {};

template <class F>
std::unique_ptr<Framer> build(Role role, uint64_t seed) {
  if constexpr (std::is_same_v<F, no_framer>) {
    return nullptr;
  } else if constexpr (std::is_constructible_v<F, Role, uint64_t>) {
    return std::make_unique<F>(role, seed);  // a framer that draws padding
  } else {
    return std::make_unique<F>(role);
  }
}

}  // namespace

bool has_framer(TransportKind kind) {
  switch (kind) {
#define MTEDGE_TRANSPORT_HAS_FRAMER(id, name, framer, tag, rule, detected_as) \
  case TransportKind::id: return !std::is_same_v<framer, no_framer>;
    MTEDGE_TRANSPORTS(MTEDGE_TRANSPORT_HAS_FRAMER)
#undef MTEDGE_TRANSPORT_HAS_FRAMER
  }
  return false;
}

TransportSet framed_transports() {
  TransportSet set;
  for (const TransportRow& row : kTransports) {
    if (has_framer(row.kind)) set.add(row.kind);
  }
  return set;
}

std::unique_ptr<Framer> make_framer(TransportKind kind, Role role, uint64_t seed) {
  switch (kind) {
#define MTEDGE_TRANSPORT_MAKE_FRAMER(id, name, framer, tag, rule, detected_as) \
  case TransportKind::id: return build<framer>(role, seed);
    MTEDGE_TRANSPORTS(MTEDGE_TRANSPORT_MAKE_FRAMER)
#undef MTEDGE_TRANSPORT_MAKE_FRAMER
  }
  return nullptr;
}

}  // namespace mtedge::codecs
