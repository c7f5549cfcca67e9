// What the router reads and does, behind an interface: the gateway's implementation is
// gateway/admin/gateway_views.h; tests and the fuzz target use fakes. Called on the
// management thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gateway/admin/connection_filter.h"
#include "gateway/conn/connection_record.h"

namespace mtedge::gateway::admin {

// The connections of every worker that answered in time.
struct ConnectionList {
  std::vector<ConnectionRecord> connections;  // at most the filter's limit
  size_t matched = 0;                         // before the limit
  unsigned workers = 0;
  unsigned workers_answered = 0;
};

struct Health {
  bool serving = true;     // not draining or stopping
  bool backend_up = true;  // every worker's adapter says its backend is up (when it can tell)
  bool ok() const { return serving && backend_up; }
};

struct CloseResult {
  size_t closed = 0;
  unsigned workers = 0;
  unsigned workers_answered = 0;
};

class Views {
 public:
  virtual ~Views() = default;
  // Prometheus text (GET /metrics).
  virtual std::string metrics_text() = 0;
  // GET /health: serving, and the backend up as far as the adapters can tell.
  virtual Health health() = 0;
  // Every listener open and accepting, not draining.
  virtual bool ready() = 0;
  // GET /v1/info's object.
  virtual nlohmann::json info() = 0;
  virtual ConnectionList connections(const ConnectionFilter& filter) = 0;
  // Begins closing every matching connection (reason admin_kill).
  virtual CloseResult close_connections(const ConnectionFilter& filter) = 0;
  // Starts the graceful shutdown SIGTERM starts (idempotent).
  virtual void drain() = 0;
};

}  // namespace mtedge::gateway::admin
