#include "gateway/admin/router.h"

#include <array>
#include <nlohmann/json.hpp>
#include <string_view>

namespace mtedge::gateway::admin {
namespace {

using Handler = Response (*)(const Request&, std::string_view query, Views&);

struct Endpoint {
  std::string_view path;
  std::string_view method;  // GET endpoints also answer HEAD
  bool open;                // outside /v1/: no token unless protect_metrics
  Handler handler;
};

nlohmann::json record_json(const ConnectionRecord& r) {
  return {
      {"id", r.id},
      {"worker", r.worker},
      {"listener", r.listener},
      {"client", r.client},
      {"transport", r.transport.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.transport)},
      {"secret", r.secret.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.secret)},
      {"authenticated", r.authenticated},
      {"bytes_in", r.bytes_in},
      {"bytes_out", r.bytes_out},
      {"age_ms", r.age_ms}};
}

Response metrics(const Request&, std::string_view, Views& views) {
  return text_response(views.metrics_text(), "text/plain; version=0.0.4; charset=utf-8");
}

Response health(const Request&, std::string_view, Views& views) {
  const Health h = views.health();
  const char* status = h.ok() ? "ok" : !h.serving ? "draining" : "backend_down";
  return json_response({{"status", status}, {"backend_up", h.backend_up}}, h.ok() ? 200 : 503);
}

Response ready(const Request&, std::string_view, Views& views) {
  const bool ok = views.ready();
  return json_response({{"status", ok ? "ready" : "not_ready"}}, ok ? 200 : 503);
}

Response info(const Request&, std::string_view, Views& views) {
  return json_response(views.info());
}

Response list_connections(const Request&, std::string_view query, Views& views) {
  Result<ConnectionFilter> filter = parse_connection_filter(query);
  if (!filter) return json_error(400, "bad_query", filter.message());
  ConnectionList list = views.connections(*filter);
  nlohmann::json items = nlohmann::json::array();
  for (const ConnectionRecord& r : list.connections) items.push_back(record_json(r));
  return json_response({{"connections", std::move(items)},
                        {"matched", list.matched},
                        {"truncated", list.matched > list.connections.size()},
                        {"workers", list.workers},
                        {"workers_answered", list.workers_answered}});
}

Response close_connections(const Request&, std::string_view query, Views& views) {
  Result<ConnectionFilter> filter = parse_connection_filter(query);
  if (!filter) return json_error(400, "bad_query", filter.message());
  if (filter->selects_all()) {
    return json_error(400, "filter_required",
                      "name at least one of ip, transport, listener, secret (POST /v1/drain "
                      "closes everything)");
  }
  const CloseResult result = views.close_connections(*filter);
  return json_response({{"closed", result.closed},
                        {"workers", result.workers},
                        {"workers_answered", result.workers_answered}});
}

Response drain(const Request&, std::string_view, Views& views) {
  views.drain();
  return json_response({{"status", "draining"}}, 202);
}

constexpr std::array<Endpoint, 7> kEndpoints = {{
    {"/metrics", "GET", true, metrics},
    {"/health", "GET", true, health},
    {"/ready", "GET", true, ready},
    {"/v1/info", "GET", false, info},
    {"/v1/connections", "GET", false, list_connections},
    {"/v1/connections", "DELETE", false, close_connections},
    {"/v1/drain", "POST", false, drain},
}};

}  // namespace

Response route(const Request& request, const AccessPolicy& policy, Views& views) {
  const std::string_view target = request.target;
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const bool head = request.method == "HEAD";
  const std::string_view method = head ? std::string_view("GET") : request.method;

  if (check_access(policy, request, false) == Access::kForbidden) {
    return json_error(403, "forbidden", "this address may not use the management API");
  }
  const Endpoint* found = nullptr;
  std::string allow;
  for (const Endpoint& e : kEndpoints) {
    if (e.path != path) continue;
    if (!allow.empty()) allow += ", ";
    allow += e.method;
    if (e.method == "GET") allow += ", HEAD";
    if (e.method == method) found = &e;
  }
  if (allow.empty()) return json_error(404, "not_found", "no such endpoint");
  const bool open = found ? found->open : path.substr(0, 4) != "/v1/";
  const bool needs_token = !open || policy.protect_metrics;
  if (check_access(policy, request, needs_token) == Access::kUnauthorized) {
    Response r = json_error(401, "unauthorized", "send Authorization: Bearer <token>");
    r.www_authenticate = true;
    return r;
  }
  if (!found) {
    Response r = json_error(405, "method_not_allowed", "allowed: " + allow);
    r.allow = allow;
    return r;
  }
  Response response = found->handler(request, query, views);
  response.head = head;
  return response;
}

}  // namespace mtedge::gateway::admin
