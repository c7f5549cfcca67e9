// The management API's view of a running Gateway (gateway/admin/views.h). Connection lists
// and closes are asked of every worker on its own loop (Gateway::visit_worker); answers
// are gathered for at most kWorkerAnswerDeadline, and a worker that has not answered by then
// is left out (the answer says how many did). /health asks no worker: it reads the state each
// worker last published (Gateway::backend_up).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "gateway/admin/counters.h"
#include "gateway/admin/views.h"
#include "gateway/runtime/gateway.h"

namespace mtedge::gateway::admin {

inline constexpr std::chrono::milliseconds kWorkerAnswerDeadline{2000};

// What GET /v1/info shows that the gateway does not know itself.
struct ProcessInfo {
  std::string version;
  std::string commit;
  std::string config_path;
  std::string config_sha256;  // hex of the config file's bytes as read at startup
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
};

class GatewayViews final : public Views {
 public:
  // `drain` starts the graceful shutdown (what SIGTERM does); all must outlive this.
  GatewayViews(Gateway& gateway, ProcessInfo process, std::function<void()> drain,
               const Counters& counters);

  std::string metrics_text() override;
  Health health() override;
  bool ready() override;
  nlohmann::json info() override;
  ConnectionList connections(const ConnectionFilter& filter) override;
  CloseResult close_connections(const ConnectionFilter& filter) override;
  void drain() override;

 private:
  Gateway& gateway_;
  ProcessInfo process_;
  std::function<void()> drain_;
  const Counters& counters_;
};

}  // namespace mtedge::gateway::admin
