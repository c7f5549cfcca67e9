// The management API's HTTP/1.1 server: Boost.Beast on its own thread and io_context, one
// request per connection (answers carry Connection: close). A peer outside the policy's allow
// list is closed at accept, unanswered, counted as forbidden. Each connection must deliver its
// whole request within the read deadline (else it is dropped, counted as a timeout) under the
// limits of gateway/admin/http_codec.h; at most `max_connections` are open at once (more
// are closed at accept, counted as busy). Requests are answered by gateway/admin/router.h on
// this thread, one at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include "base/status.h"
#include "gateway/admin/access.h"
#include "gateway/admin/counters.h"
#include "gateway/admin/views.h"
#include "gateway/runtime/address.h"

namespace mtedge::gateway::admin {

struct ServerOptions {
  SocketAddress address;
  AccessPolicy policy;
  uint32_t max_connections = 16;
  // For the whole request from the accept, and again for writing the answer.
  std::chrono::milliseconds read_deadline{5000};
};

class Server {
 public:
  // `views` and `counters` must outlive the server.
  Server(ServerOptions options, Views& views, Counters& counters);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds synchronously (an error names admin.address), then serves on its own thread.
  Status start();
  // Thread-safe, idempotent: closes every admin connection and joins the thread.
  void stop();
  uint16_t port() const { return port_; }

 private:
  struct State;
  ServerOptions options_;
  Views& views_;
  Counters& counters_;
  uint16_t port_ = 0;
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace mtedge::gateway::admin
