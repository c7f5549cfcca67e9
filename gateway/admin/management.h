// The management API of a running gateway, as main.cc starts it: counters, the gateway's
// views and the server, configured by [admin].
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "gateway/admin/counters.h"
#include "gateway/admin/gateway_views.h"
#include "gateway/admin/server.h"
#include "gateway/runtime/config.h"
#include "gateway/runtime/gateway.h"

namespace mtedge::gateway::admin {

class Management {
 public:
  // `drain`: what POST /v1/drain runs after Gateway::begin_shutdown (main wakes its loop).
  Management(Gateway& gateway, const AdminConfig& config, ProcessInfo process,
             std::function<void()> drain);
  // Binds and serves; warns when the address is not loopback and no token is set.
  Status start();
  void stop();
  uint16_t port() const { return server_.port(); }

 private:
  AdminConfig config_;
  Counters counters_;
  GatewayViews views_;
  Server server_;
};

// The hex SHA-256 of the file at `path` ("" when it cannot be read).
std::string file_sha256(const std::string& path);

// Whether `address` is a loopback address (127.0.0.0/8, ::1).
bool is_loopback(const SocketAddress& address);
// Whether every range of `allow` lies inside loopback (true for the default allow list).
bool admits_only_loopback(const std::vector<Cidr>& allow);

}  // namespace mtedge::gateway::admin
