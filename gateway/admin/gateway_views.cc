#include "gateway/admin/gateway_views.h"

#include <condition_variable>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "gateway/runtime/worker.h"

namespace mtedge::gateway::admin {
namespace {

// Runs `ask` on every worker's loop and waits up to kWorkerAnswerDeadline for the answers;
// a worker that has not answered by then (stopping, stalled) leaves its slot empty.
template <class T>
std::vector<std::optional<T>> ask_every_worker(Gateway& gateway, std::function<T(Worker&)> ask) {
  struct Gathered {
    std::mutex mu;
    std::condition_variable done;
    std::vector<std::optional<T>> answers;
    unsigned pending = 0;
  };
  auto gathered = std::make_shared<Gathered>();
  gathered->answers.resize(gateway.workers());
  gathered->pending = gateway.workers();
  for (unsigned i = 0; i < gateway.workers(); ++i) {
    gateway.visit_worker(i, [gathered, ask, i](Worker& worker) {
      T answer = ask(worker);
      std::lock_guard lock(gathered->mu);
      gathered->answers[i] = std::move(answer);
      if (--gathered->pending == 0) gathered->done.notify_all();
    });
  }
  std::unique_lock lock(gathered->mu);
  gathered->done.wait_for(lock, kWorkerAnswerDeadline, [&] { return gathered->pending == 0; });
  return gathered->answers;  // a copy: late answers still land in `gathered`
}

std::string utc_text(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

GatewayViews::GatewayViews(Gateway& gateway, ProcessInfo process, std::function<void()> drain,
                           const Counters& counters)
    : gateway_(gateway),
      process_(std::move(process)),
      drain_(std::move(drain)),
      counters_(counters) {}

std::string GatewayViews::metrics_text() {
  return gateway_.metrics_text() + counters_.prometheus_text();
}

Health GatewayViews::health() {
  Health health;
  health.serving = !gateway_.stopping();
  if (!health.serving) return health;
  health.backend_up = gateway_.backend_up();
  return health;
}

bool GatewayViews::ready() {
  return gateway_.accepting();
}

nlohmann::json GatewayViews::info() {
  const Config& config = gateway_.config();
  nlohmann::json listeners = nlohmann::json::array();
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const ListenerConfig& l = config.listeners[i];
    SocketAddress bound = l.address;
    bound.set_port(gateway_.bound_port(i));
    nlohmann::json transports = nlohmann::json::array();
    for (const codecs::TransportRow& row : codecs::kTransports) {
      if (l.transports.contains(row.kind)) transports.push_back(row.name);
    }
    listeners.push_back({{"name", l.name},
                         {"address", format_address(bound.get())},
                         {"transports", std::move(transports)},
                         {"tls", l.tls != nullptr},
                         {"secrets", l.secrets.size()}});
  }
  const auto now = std::chrono::system_clock::now();
  return {{"version", process_.version},
          {"commit", process_.commit},
          {"config", {{"path", process_.config_path}, {"sha256", process_.config_sha256}}},
          {"started_at", utc_text(process_.started)},
          {"uptime_seconds",
           std::chrono::duration_cast<std::chrono::seconds>(now - process_.started).count()},
          {"workers", gateway_.workers()},
          {"listeners", std::move(listeners)},
          {"backend", config.backend_type},
          {"edge_decryption", config.crypto.edge_decryption},
          {"draining", gateway_.stopping()}};
}

ConnectionList GatewayViews::connections(const ConnectionFilter& filter) {
  using Matching = Worker::MatchingConnections;
  // Each worker filters and caps on its own loop: no worker copies more than `limit` records.
  const auto answers = ask_every_worker<Matching>(gateway_, [filter](Worker& worker) {
    return worker.describe_connections([&](const ConnectionRecord& r) { return filter.matches(r); },
                                       filter.limit);
  });
  ConnectionList list;
  list.workers = gateway_.workers();
  for (const std::optional<Matching>& answer : answers) {
    if (!answer) continue;
    ++list.workers_answered;
    list.matched += answer->matched;
    for (const ConnectionRecord& r : answer->records) {
      if (list.connections.size() < filter.limit) list.connections.push_back(r);
    }
  }
  return list;
}

CloseResult GatewayViews::close_connections(const ConnectionFilter& filter) {
  const auto answers = ask_every_worker<size_t>(gateway_, [filter](Worker& worker) {
    return worker.close_connections([&](const ConnectionRecord& r) { return filter.matches(r); });
  });
  CloseResult result;
  result.workers = gateway_.workers();
  for (const std::optional<size_t>& closed : answers) {
    if (!closed) continue;
    ++result.workers_answered;
    result.closed += *closed;
  }
  return result;
}

void GatewayViews::drain() {
  drain_();
}

}  // namespace mtedge::gateway::admin
