// What the management API shows of one open client connection (a copy taken on the
// connection's worker loop; the management thread never touches a Connection).
#pragma once

#include <cstdint>
#include <string>

#include "backend-adapters/api/frame.h"

namespace mtedge::gateway {

struct ConnectionRecord {
  backend::ConnId id = 0;
  unsigned worker = 0;
  std::string listener;   // the listener's name
  std::string client;     // "1.2.3.4:5678" / "[v6]:port" (a PROXY header's client when proxied)
  std::string client_ip;  // the host part alone
  std::string transport;  // transport path ("obfuscated/intermediate"); "" until detected
  std::string secret;     // label of the secret the client used ("" = none or unlabelled)
  bool authenticated = false;
  uint64_t bytes_in = 0;  // as on the wire, TLS records included
  uint64_t bytes_out = 0;
  uint64_t age_ms = 0;
};

}  // namespace mtedge::gateway
