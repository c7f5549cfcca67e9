#include "gateway/admin/counters.h"

#include <utility>

namespace mtedge::gateway::admin {

void Counters::count_answer(unsigned status) {
  answered.fetch_add(1, std::memory_order_relaxed);
  std::atomic<uint64_t>* reason = nullptr;
  switch (status) {
    case 400: reason = &bad_request; break;
    case 401: reason = &unauthorized; break;
    case 403: reason = &forbidden; break;
    case 413: reason = &too_large; break;
    default: break;
  }
  if (reason) reason->fetch_add(1, std::memory_order_relaxed);
}

std::string Counters::prometheus_text() const {
  std::string out =
      "# HELP mtedge_admin_requests_total Management API requests answered.\n"
      "# TYPE mtedge_admin_requests_total counter\n"
      "mtedge_admin_requests_total " +
      std::to_string(answered.load(std::memory_order_relaxed)) +
      "\n# HELP mtedge_admin_refused_total Management API requests refused, by reason.\n"
      "# TYPE mtedge_admin_refused_total counter\n";
  const std::pair<const char*, const std::atomic<uint64_t>*> reasons[] = {
      {"forbidden", &forbidden}, {"unauthorized", &unauthorized},
      {"too_large", &too_large}, {"bad_request", &bad_request},
      {"busy", &busy},           {"timeout", &timed_out}};
  for (const auto& [name, value] : reasons) {
    out += "mtedge_admin_refused_total{reason=\"" + std::string(name) + "\"} " +
           std::to_string(value->load(std::memory_order_relaxed)) + "\n";
  }
  return out;
}

}  // namespace mtedge::gateway::admin
