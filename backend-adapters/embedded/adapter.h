// The per-worker embedded adapter: binds connections to sessions, runs SessionService on each
// decrypted frame, sends the replies through the worker's GatewaySink, and owns the
// ping_delay_disconnect timers (one uv timer per connection that asked for one).
//
// HTTP connections (ConnInfo::one_reply_per_request()) carry one packet per response and every
// decrypted frame is one request: the replies to a frame go out as ONE packet (a
// msg_container when there are several), and a request with nothing to answer is held as a
// long poll (http_wait's max_wait, default and cap kMaxHttpWaitMs) and then answered with an
// empty msg_container. The session knows which of its HTTP connections hold a request
// (SessionService::set_holding): a frame's content-related replies leave through the session's
// longest-held request, on whichever connection (the others answer the frame's own request),
// and a delivery that finds no request left goes back to the session (undelivered).
// Messages delivered to a held request are batched by its http_wait: sent `wait_after` ms
// after the latest one arrived, and at most `max_delay` ms after the first (0 and 0, the
// default: at once), in one container, with the frame replies that go out first if any.
#pragma once

#include <uv.h>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "backend-adapters/embedded/session/session_service.h"

namespace mtedge::backend::embedded {

// The longest an HTTP request is held (also the default when it carries no http_wait); the
// gateway's own bound (gateway.http_max_wait_ms, default 30 s) must be longer.
inline constexpr int32_t kMaxHttpWaitMs = 25000;

class EmbeddedAdapter;

// Routes server messages to connections on any worker: the adapter of the connection's
// worker sends them, reached with AdapterContext::post.
class WorkerRouter final : public Router, public std::enable_shared_from_this<WorkerRouter> {
 public:
  void attach(unsigned worker, EmbeddedAdapter* adapter, const AdapterContext& context);
  void detach(unsigned worker);
  // Runs `task` with worker `worker`'s adapter on its loop (nothing if it is gone).
  void on_worker(unsigned worker, std::function<void(EmbeddedAdapter&)> task);
  void deliver(ConnId conn, int64_t salt, const SessionKey& key,
               std::vector<OutMessage> messages) override;
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
  void on_client_drained(ConnId conn) override;
  void on_close(ConnId conn, CloseReason reason) override;
  // The handshake's salt is accepted for the key's first messages (no bad_server_salt).
  void on_auth_key_created(uint64_t auth_key_id, int64_t server_salt) override;
  void stop(std::function<void()> done) override;
  // Quick-acks of frames whose calls wrote state wait until it is durable (on_durable).
  bool sends_quick_acks() const override { return true; }

  // On this worker's loop: send to / close one of this worker's connections. Messages that
  // `conn` cannot carry (closed, or HTTP without a held request) go back to the session.
  void send_local(ConnId conn, int64_t salt, const SessionKey& key,
                  std::vector<OutMessage> messages);
  void close_local(ConnId conn, std::string_view reason);

 private:
  struct Timer;
  // One held HTTP request: when its wait ends (loop ms) and its http_wait batching bounds.
  struct Held {
    uint64_t deadline_ms = 0;
    uint32_t max_delay_ms = 0;
    uint32_t wait_after_ms = 0;
  };
  // HTTP connections only.
  struct HttpPoll {
    Timer* timer = nullptr;  // fires at the earliest held deadline or batch_due_ms
    std::deque<Held> held;   // requests not answered yet, oldest first
    bool holding = false;    // what the session was last told (`held` non-empty)
    // Messages delivered for the oldest held request, waiting out its http_wait batching.
    std::vector<OutMessage> batch;
    int64_t batch_salt = 0;
    uint64_t batch_first_ms = 0;
    uint64_t batch_due_ms = 0;
  };
  struct Conn {
    bool bound = false;
    uint64_t auth_key_id = 0;
    int64_t session_id = 0;
    Timer* timer = nullptr;  // ping_delay_disconnect
    // A send found the client's queue above its high-water mark: on_frame answers false (the
    // gateway stops reading the client) until on_client_drained resumes it.
    bool congested = false;
    std::unique_ptr<HttpPoll> http;  // one packet per response; requests are held as long polls
  };
  void arm_timer(ConnId conn, Conn& state, uint32_t seconds);
  // Creates `timer` for `conn` on this loop unless it exists; drop_timer closes and frees it.
  void make_timer(Timer*& timer, ConnId conn);
  static void drop_timer(Timer*& timer);
  // HTTP: sends the batch and `messages` as one packet answering the oldest held request.
  void send_http(ConnId conn, Conn& state, int64_t salt, std::vector<OutMessage> messages);
  // HTTP: adds messages delivered for the oldest held request to its batch; sends the batch
  // when its http_wait bounds are already reached, else re-arms the poll timer.
  void batch_http(ConnId conn, Conn& state, int64_t salt, std::vector<OutMessage> messages);
  // Sends one message; a full queue marks the connection congested (see Conn::congested).
  void send_one(ConnId conn, int64_t salt, int64_t session_id, const OutMessage& message);
  // HTTP: the replies to one request; content-related ones go where the session routes them.
  void answer_request(ConnId conn, Conn& state, int64_t salt, std::vector<OutMessage> replies);
  // HTTP: tells the session whether the connection holds a request (on each change, and again
  // while it holds), then re-arms the poll timer.
  void held_changed(ConnId conn, Conn& state);
  // HTTP: sends a batch that is due; answers held requests whose wait is over (with the batch
  // if one waits, else an empty container); re-arms.
  void expire_polls(ConnId conn);
  void arm_poll(ConnId conn, Conn& state);
  // A frame whose calls wrote state (Outcome::durable_lsn): its quick-ack, answers and pushes
  // wait for the storage, then on_durable runs on this loop.
  struct AwaitingDurable {
    ConnId conn = 0;
    SessionKey key;
    bool quick_ack = false;
    uint32_t quick_ack_token = 0;
    std::vector<HeldAnswer> answers;
    std::vector<api::Push> pushes;
  };
  void await_durable(const Frame& frame, Outcome& out);
  void on_durable(AwaitingDurable& awaiting, bool durable);
  // Worker 0: copies the storage's counts into /metrics once a second.
  void start_storage_metrics();
  void close_timers();

  uv_timer_t* sweep_timer_ = nullptr;    // worker 0 only: SessionService::sweep once a minute
  uv_timer_t* storage_timer_ = nullptr;  // worker 0 only, with a storage and metrics
  struct StorageCounters {
    Counter* appended = nullptr;
    Counter* durable = nullptr;
    Counter* syncs = nullptr;
    Counter* failed_waits = nullptr;
    Counter* compactions = nullptr;
    Counter* compaction_failures = nullptr;
  } storage_counters_;
  AdapterContext context_;
  std::shared_ptr<SessionService> service_;
  std::shared_ptr<WorkerRouter> router_;
  std::unordered_map<ConnId, Conn> conns_;
  Counter* over_budget_ = nullptr;  // mtedge_embedded_packets_over_budget_total (null: no metrics)
  Counter* flood_waits_ = nullptr;  // mtedge_embedded_flood_waits_total (null: no metrics)
};

}  // namespace mtedge::backend::embedded
