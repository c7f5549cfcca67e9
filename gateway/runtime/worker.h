// One worker thread: its own uv loop, its own SO_REUSEPORT listening socket per listener,
// its own adapter instance, connections and metrics shard. It is also the GatewaySink the
// adapter answers through (only on this loop); with crypto.edge_decryption the adapter is
// wrapped in an EdgeStage (gateway/edge/edge_stage.h), which sits between the two both ways.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "base/status.h"
#include "gateway/conn/connection_record.h"
#include "gateway/runtime/admission.h"
#include "gateway/runtime/config.h"
#include "gateway/runtime/metrics.h"
#include "io/flush_list.h"
#include "io/outbound_queue.h"
#include "io/timer_heap.h"

namespace mtedge::gateway {

class Connection;
class Gateway;
namespace events {
class EventWriter;
}

class Worker final : public backend::GatewaySink {
 public:
  Worker(Gateway& gateway, const Config& config, unsigned index);
  // proxy_protocol listeners: the connection's PROXY header named its client; counts that
  // source (see admit()). False when refused: counted, logged, `conn` closed.
  bool admit_source(Connection* conn);
  ~Worker() override;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // On the starting thread, before run(): opens the loop, adopts one bound socket per
  // listener (`fds[i]` for config.listeners[i]; ownership passes here), creates the adapter.
  Status init(const std::vector<int>& fds);
  // Starts the thread that runs the loop until shutdown completes.
  void run();
  void join();
  // For a worker whose init() failed or that never ran: closes everything synchronously.
  void abandon();

  // Thread-safe: runs `task` on this worker's loop. Dropped once the worker has finished.
  void post(std::function<void()> task);
  // On this loop: stop accepting, stop the adapter, close connections (see docs/operations.md).
  void begin_shutdown();
  // On this loop: the open, not closing connections `match` accepts: all of them counted in
  // `matched`, the first `limit` described in `records`.
  struct MatchingConnections {
    std::vector<ConnectionRecord> records;
    size_t matched = 0;
  };
  MatchingConnections describe_connections(
      const std::function<bool(const ConnectionRecord&)>& match, size_t limit) const;
  // On this loop: begins closing (reason kAdminKill: queued output is flushed first) every
  // open connection `match` accepts; returns how many.
  size_t close_connections(const std::function<bool(const ConnectionRecord&)>& match);

  // backend::GatewaySink (this loop only).
  bool send_packet(backend::ConnId conn, backend::ByteView packet) override;
  bool send_message(backend::ConnId conn, const backend::OutboundMessage& message) override;
  void send_quick_ack(backend::ConnId conn, uint32_t token) override;
  void send_transport_error(backend::ConnId conn, int32_t code) override;
  void close(backend::ConnId conn, std::string_view reason) override;
  void resume_reading(backend::ConnId conn) override;
  void mark_authenticated(backend::ConnId conn) override;

  // On this loop: a packet Gateway::route_http_packet sent here for HTTP connection
  // `target`. When `target` no longer serves HTTP, the packet goes back to `origin`'s worker
  // (queued there, never routed again); when that is gone too, it is counted as lost.
  void take_routed_http(backend::ConnId target, backend::ConnId origin, Bytes packet);

  // For connections.
  uv_loop_t* loop() { return &loop_; }
  const Config& config() const { return config_; }
  // The connections' timers.
  io::TimerHeap& timers() { return timers_; }
  Gateway& gateway() { return gateway_; }
  unsigned index() const { return index_; }
  const GatewaySettings& settings() const { return config_.gateway; }
  // Every connection's outbound marks (gateway.write_buffer_high / _low / _limit).
  const io::OutboundMarks& outbound_marks() const { return outbound_marks_; }
  backend::BackendAdapter& adapter() { return *adapter_; }
  // Thread-safe: the adapter's backend_up() as this loop last read it (every
  // kBackendProbeInterval; true until the first read), so /health never waits for a worker.
  bool backend_up() const { return backend_up_.load(std::memory_order_relaxed); }
  static constexpr uint64_t kBackendProbeIntervalMs = 500;
  MetricsShard& metrics() { return metrics_; }
  // This worker's writer of the events stream (docs/events.md); null unless events.sink is set.
  events::EventWriter* events() { return events_.get(); }
  const MetricsShard& metrics() const { return metrics_; }
  // The counters this worker's adapter exports (AdapterContext::metrics; thread-safe reads).
  const backend::AdapterMetrics& adapter_metrics() const { return adapter_metrics_; }
  uv_buf_t read_buffer() {
    return uv_buf_init(reinterpret_cast<char*>(read_buf_.get()), read_buf_size_);
  }
  // Where TLS connections decrypt into (one per worker, allocated on first use; the
  // bytes are valid until the next read on this worker, like read_buffer()).
  MutableByteView tls_plain_buffer() {
    if (!tls_plain_buf_) tls_plain_buf_ = std::make_unique<uint8_t[]>(read_buf_size_);
    return MutableByteView(tls_plain_buf_.get(), read_buf_size_);
  }
  uint64_t random() { return rng_(); }
  // Flushes `conn` in this loop iteration's check phase: one write per connection carrying
  // everything queued during the iteration.
  void mark_dirty(Connection* conn);
  // A connection reached kClosed: drop it from the index, the gauges and the admission counts.
  void forget(Connection* conn, backend::CloseReason reason);
  // A connection's buffered bytes changed by `delta` (gateway.max_memory_bytes).
  void account_memory(int64_t delta) { gateway_memory().add(memory_, delta); }
  // The process's buffered bytes as this worker sees them (exact to workers x 64 KiB).
  int64_t buffered_bytes() const;
  size_t connection_count() const { return conns_.size(); }

 private:
  struct Listener {
    Worker* worker = nullptr;
    const ListenerConfig* config = nullptr;
    uint16_t index = 0;  // in config.listeners (kMaxListeners bounds their number)
    uv_tcp_t handle;
  };

  static void on_connection(uv_stream_t* server, int status);
  // Counts `conn`'s source against max_connections_per_source (loopback exempt unless
  // limit_loopback_sources). False when refused: counted, logged, `conn` closed.
  bool count_source(Connection* conn, const std::string& listener_name);
  // Counts a refusal, logs it (rate-limited per `kind`) and closes `conn`; returns false.
  bool refuse(Connection* conn, const std::string& listener_name, Counter& counter, const char* why,
              int kind);
  static void on_async(uv_async_t* async);
  static void on_shutdown_timer(uv_timer_t* timer);
  static void on_backend_probe(uv_timer_t* timer);
  void accept(Listener& listener);
  // Admission of a connection accepted on `listener`: true when it may start; else it was
  // refused (counted, closed) and is gone.
  bool admit(Listener& listener, Connection* conn);
  // At max_connections: closes the oldest connection of this worker that has not
  // authenticated. False when there is none.
  bool evict_unauthenticated();
  MemoryAccount& gateway_memory();
  Connection* find(backend::ConnId id);
  void adapter_stopped();
  void shutdown_deadline();
  // What is left of the shutdown deadline for pending events to drain (all of
  // gateway.shutdown_timeout_ms when the worker stops without begin_shutdown()).
  uint64_t drain_time_left_ms(uint64_t now_ms) const;
  void maybe_finish();
  void teardown();
  void close_loop();
  // Closes every handle still open on the loop and runs their close callbacks.
  void close_every_handle();

  Gateway& gateway_;
  const Config& config_;
  const unsigned index_;
  uv_loop_t loop_;
  uv_async_t async_;
  uv_timer_t shutdown_timer_;
  uv_timer_t backend_probe_timer_;  // refreshes backend_up_
  std::atomic<bool> backend_up_{true};
  io::TimerHeap timers_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<backend::ConnId, Connection*> conns_;
  // Connection ids in accept order, the eviction candidates; entries of connections that
  // closed or authenticated are skipped and dropped lazily.
  std::deque<backend::ConnId> admission_order_;
  MemoryAccount::Local memory_;
  io::FlushList dirty_;
  const io::OutboundMarks outbound_marks_;
  std::unique_ptr<uint8_t[]> read_buf_;
  unsigned read_buf_size_ = 0;
  std::unique_ptr<uint8_t[]> tls_plain_buf_;
  backend::AdapterMetrics adapter_metrics_;  // outlives adapter_
  std::unique_ptr<backend::BackendAdapter> adapter_;
  MetricsShard metrics_;
  std::unique_ptr<events::EventWriter> events_;  // counts into metrics_
  uint64_t serial_ = 0;
  std::mt19937_64 rng_;
  std::thread thread_;

  std::mutex tasks_mu_;
  std::vector<std::function<void()>> tasks_;
  bool tasks_closed_ = false;  // under tasks_mu_

  bool loop_open_ = false;
  bool stopping_ = false;
  bool adapter_stopped_ = false;
  bool deadline_passed_ = false;
  uint64_t shutdown_deadline_ms_ = 0;  // uv_now() at which shutdown closes everything
  bool finishing_ = false;
};

}  // namespace mtedge::gateway
