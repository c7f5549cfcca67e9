// The admin endpoint: plain-text HTTP/1.1 on its own thread and loop.
//   GET /metrics  Prometheus text format (counters summed over the workers' shards)
//   GET /health   200 "ok" while serving, 503 "stopping" once shutdown has begun
// One request per connection (the reply carries Connection: close); requests over 8 KiB
// or slower than 5 s are dropped. Meant for loopback or a management network.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/status.h"
#include "gateway/runtime/address.h"

namespace mtedge::gateway {

class AdminServer {
 public:
  using TextFn = std::function<std::string()>;
  using HealthFn = std::function<bool()>;
  AdminServer(SocketAddress address, TextFn metrics, HealthFn healthy);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  Status start();  // binds synchronously, then serves on its own thread
  void stop();     // thread-safe; joins the thread
  uint16_t port() const { return port_; }

  // The whole reply for one request head (exposed for tests).
  static std::string respond(std::string_view request_head, const TextFn& metrics, bool healthy);

 private:
  struct State;
  SocketAddress address_;
  TextFn metrics_;
  HealthFn healthy_;
  uint16_t port_ = 0;
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace mtedge::gateway
