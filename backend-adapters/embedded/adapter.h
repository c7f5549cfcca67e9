// The per-worker embedded adapter: binds connections to sessions, runs SessionService on each
// decrypted frame, sends the replies through the worker's GatewaySink, and owns the
// ping_delay_disconnect timers (one uv timer per connection that asked for one).
#pragma once

#include <uv.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "backend-adapters/embedded/session/session_service.h"

namespace mtedge::backend::embedded {

class EmbeddedAdapter;

// Routes server messages to connections on any worker: the adapter of the connection's
// worker sends them, reached with AdapterContext::post.
class WorkerRouter final : public Router, public std::enable_shared_from_this<WorkerRouter> {
 public:
  void attach(unsigned worker, EmbeddedAdapter* adapter, const AdapterContext& context);
  void detach(unsigned worker);
  void deliver(ConnId conn, int64_t salt, int64_t session_id, std::vector<OutMessage> messages) override;
  void close(ConnId conn, std::string reason) override;

 private:
  EmbeddedAdapter* adapter(unsigned worker);
  void post(unsigned worker, std::function<void()> task);

  std::mutex mu_;
  std::unordered_map<unsigned, EmbeddedAdapter*> adapters_;
  std::function<void(unsigned, std::function<void()>)> post_;
};

class EmbeddedAdapter final : public BackendAdapter {
 public:
  EmbeddedAdapter(const AdapterContext& context, std::shared_ptr<SessionService> service,
                  std::shared_ptr<WorkerRouter> router);
  ~EmbeddedAdapter() override;

  void on_open(const ConnInfo& info) override;
  bool on_frame(const Frame& frame) override;
  void on_close(ConnId conn, CloseReason reason) override;
  void stop(std::function<void()> done) override;

  // On this worker's loop: send to / close one of this worker's connections.
  void send_local(ConnId conn, int64_t salt, int64_t session_id, const std::vector<OutMessage>& messages);
  void close_local(ConnId conn, std::string_view reason);

 private:
  struct Timer;
  struct Conn {
    bool bound = false;
    uint64_t auth_key_id = 0;
    int64_t session_id = 0;
    Timer* timer = nullptr;
  };
  void arm_timer(ConnId conn, Conn& state, uint32_t seconds);
  static void drop_timer(Conn& state);
  void close_sweep_timer();

  uv_timer_t* sweep_timer_ = nullptr;  // worker 0 only: SessionService::sweep once a minute
  AdapterContext context_;
  std::shared_ptr<SessionService> service_;
  std::shared_ptr<WorkerRouter> router_;
  std::unordered_map<ConnId, Conn> conns_;
};

}  // namespace mtedge::backend::embedded
