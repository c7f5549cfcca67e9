// What one mtedge-load run counts. Updated only on the loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "bench/load/histogram.h"

namespace mtedge::bench {

struct LoadStats {
  uint64_t frames = 0;      // answers received (echoed frames, pongs; messenger: deliveries)
  uint64_t bytes_sent = 0;  // payload bytes of those answers' requests
  uint64_t bytes_received = 0;
  uint64_t handshakes = 0;
  // request -> answer (handshake mode: whole exchange; messenger: send -> push received)
  LatencyHistogram latency;
  std::map<std::string, uint64_t> errors;  // by kind; counted in every phase
  // Pings (messenger: queries) sent again after a bad_server_salt (protocol, not an error);
  // every phase.
  uint64_t salt_resends = 0;

  void reset_window() {
    frames = bytes_sent = bytes_received = handshakes = 0;
    latency.reset();
  }
  uint64_t error_count() const {
    uint64_t n = 0;
    for (const auto& [kind, count] : errors) n += count;
    return n;
  }
};

}  // namespace mtedge::bench
