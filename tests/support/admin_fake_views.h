// A management API view with fixed answers (the router's tests and the fuzz target): three
// connections, counters of what was asked.
#pragma once

#include <string>
#include <vector>

#include "gateway/admin/views.h"

namespace mtedge::test {

class FakeViews final : public gateway::admin::Views {
 public:
  FakeViews() {
    connections_ = {
        {1, 0, "main", "127.0.0.1:40000", "127.0.0.1", "abridged", "", false, 10, 20, 5},
        {2, 1, "main", "10.1.2.3:40001", "10.1.2.3", "obfuscated/intermediate", "friends", true, 30,
         40, 6},
        {3, 1, "tls", "[2001:db8::1]:40002", "2001:db8::1", "fake-tls/intermediate", "site", true,
         50, 60, 7}};
  }

  std::string metrics_text() override { return "mtedge_test 1\n"; }
  gateway::admin::Health health() override { return {!draining, backend_up}; }
  bool ready() override { return !draining; }
  nlohmann::json info() override { return {{"version", "0.0.0"}, {"workers", 2}}; }
  gateway::admin::ConnectionList connections(
      const gateway::admin::ConnectionFilter& filter) override {
    gateway::admin::ConnectionList list;
    list.workers = list.workers_answered = 2;
    for (const auto& r : connections_) {
      if (!filter.matches(r)) continue;
      ++list.matched;
      if (list.connections.size() < filter.limit) list.connections.push_back(r);
    }
    return list;
  }
  gateway::admin::CloseResult close_connections(
      const gateway::admin::ConnectionFilter& filter) override {
    gateway::admin::CloseResult result;
    result.workers = result.workers_answered = 2;
    for (const auto& r : connections_) result.closed += filter.matches(r) ? 1 : 0;
    ++closes;
    return result;
  }
  void drain() override { draining = true; }

  bool draining = false;
  bool backend_up = true;
  int closes = 0;

 private:
  std::vector<gateway::ConnectionRecord> connections_;
};

}  // namespace mtedge::test
