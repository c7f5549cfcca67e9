// The management API's endpoints (docs/operations.md "Management API"): one request in, one
// answer out, no I/O of its own.
//   GET  /metrics            Prometheus text
//   GET  /health             200 {"status":"ok"}; 503 once draining/stopping or while the
//                            backend is down (as far as the adapter can tell)
//   GET  /ready              200 from a successful start until shutdown begins; 503 otherwise
//   GET  /v1/info            version, config, workers, listeners, backend
//   GET  /v1/connections     the live connections (filters: gateway/admin/connection_filter.h)
//   DELETE /v1/connections   closes the matching ones (at least one filter)
//   POST /v1/drain           starts the graceful shutdown
// HEAD works wherever GET does. Order of checks: the peer's address (403), the path (404),
// the token (401), the method (405), the query (400). Errors are JSON
// {"error": "...", "detail": "..."}.
#pragma once

#include "gateway/admin/access.h"
#include "gateway/admin/message.h"
#include "gateway/admin/views.h"

namespace mtedge::gateway::admin {

Response route(const Request& request, const AccessPolicy& policy, Views& views);

}  // namespace mtedge::gateway::admin
