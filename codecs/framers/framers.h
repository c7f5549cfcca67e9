// The framer factory: builds the Framer of any transport whose row in the transport table
// (codecs/core/transport.h) names one. This target expands the table's framer column, so
// it is the one place that links every concrete framer; codecs/core stays below them, and
// whoever only builds framers (the relay, the load generator, the fuzz drivers) needs
// neither the detector nor the obfuscated2 codecs.
#pragma once

#include <cstdint>
#include <memory>

#include "codecs/core/framer.h"
#include "codecs/core/transport.h"

namespace mtedge::codecs {

// True if `kind` frames packets itself (abridged, intermediate, padded, full).
bool has_framer(TransportKind kind);

// The transports that have a framer.
TransportSet framed_transports();

// The framer of `kind` in `role`, or null when the row has no framer. `seed` feeds the padded
// transport's padding generator (padding is not secret; it only needs to vary).
std::unique_ptr<Framer> make_framer(TransportKind kind, Role role, uint64_t seed = 0);

}  // namespace mtedge::codecs
