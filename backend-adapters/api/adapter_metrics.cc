#include "backend-adapters/api/adapter_metrics.h"

#include <cassert>

namespace mtedge::backend {
namespace {

[[maybe_unused]] bool valid_metric_name(std::string_view name) {
  auto letter = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  };
  if (name.empty() || !letter(name[0])) return false;
  for (char c : name) {
    if (!letter(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace

Counter& AdapterMetrics::counter(std::string_view name, std::string_view help) {
  assert(valid_metric_name(name));
  std::lock_guard lock(mu_);
  for (Entry& e : entries_) {
    if (e.name == name) return e.counter;
  }
  Entry& e = entries_.emplace_back();
  e.name = name;
  e.help = help;
  return e.counter;
}

std::vector<AdapterMetrics::Value> AdapterMetrics::read() const {
  std::lock_guard lock(mu_);
  std::vector<Value> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back({e.name, e.help, e.counter.get()});
  return out;
}

}  // namespace mtedge::backend
