#include "gateway/runtime/worker.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/log_rate_limit.h"
#include "gateway/conn/connection.h"
#include "gateway/edge/edge_stage.h"
#include "gateway/events/event_writer.h"
#include "gateway/runtime/gateway.h"

namespace mtedge::gateway {

using backend::CloseReason;
using backend::ConnId;

Worker::Worker(Gateway& gateway, const Config& config, unsigned index)
    : gateway_(gateway),
      config_(config),
      index_(index),
      dirty_(&io::FlushList::call<Connection, &Connection::flush>),
      outbound_marks_{config.gateway.write_buffer_high, config.gateway.write_buffer_low,
                      config.gateway.write_buffer_limit},
      rng_(std::random_device{}() ^ (uint64_t(index) << 32)) {
  conns_.max_load_factor(backend::kPerConnectionMapLoad);
}

Worker::~Worker() {
  join();
  if (loop_open_) abandon();
}

Status Worker::init(const std::vector<int>& fds) {
  read_buf_size_ = static_cast<unsigned>(config_.gateway.read_buffer_bytes);
  read_buf_ = std::make_unique<uint8_t[]>(read_buf_size_);
  auto fail = [&](const std::string& what, int rc) {
    return Status::error("worker " + std::to_string(index_) + ": " + what + ": " + uv_strerror(rc));
  };
  int rc = uv_loop_init(&loop_);
  if (rc != 0) {
    for (int fd : fds) ::close(fd);
    return fail("uv_loop_init", rc);
  }
  loop_open_ = true;
  loop_.data = this;
  uv_async_init(&loop_, &async_, on_async);
  async_.data = this;
  dirty_.init(&loop_);
  uv_timer_init(&loop_, &shutdown_timer_);
  shutdown_timer_.data = this;
  uv_timer_init(&loop_, &backend_probe_timer_);
  backend_probe_timer_.data = this;
  timers_.init(&loop_);

  Status status;
  for (size_t i = 0; i < fds.size(); ++i) {
    if (!status) {
      ::close(fds[i]);
      continue;
    }
    auto l = std::make_unique<Listener>();
    l->worker = this;
    l->config = &config_.listeners[i];
    l->index = static_cast<uint16_t>(i);
    uv_tcp_init(&loop_, &l->handle);
    l->handle.data = l.get();
    rc = uv_tcp_open(&l->handle, fds[i]);
    if (rc != 0) {
      ::close(fds[i]);
      status = fail("listener " + l->config->name + ": uv_tcp_open", rc);
    } else if ((rc = uv_listen(reinterpret_cast<uv_stream_t*>(&l->handle), l->config->backlog,
                               on_connection)) != 0) {
      status = fail("listener " + l->config->name + ": listen", rc);
    }
    listeners_.push_back(std::move(l));
  }
  if (!status) return status;

  if (config_.events.enabled) {
    events_ = std::make_unique<events::EventWriter>(&loop_, config_.events, *config_.redis,
                                                    metrics_, index_);
    // One counters event per interval for the whole process, summed as /metrics sums.
    if (index_ == 0) events_->start_counters([this] { return gateway_.metrics(); });
  }

  backend::AdapterContext context;
  context.loop = &loop_;
  context.worker = index_;
  context.workers = gateway_.workers();
  context.sink = this;
  context.metrics = &adapter_metrics_;
  Gateway* gw = &gateway_;
  context.post = [gw](unsigned worker, std::function<void()> task) {
    gw->post(worker, std::move(task));
  };
  // Edge decryption: the stage wraps the adapter and is the sink the adapter answers through.
  std::unique_ptr<EdgeStage> edge;
  if (config_.crypto.edge_decryption) {
    EdgeStageOptions options;
    options.sweep_loop = index_ == 0 ? &loop_ : nullptr;
    options.metrics = &metrics_;
    // The handshake limits count per source like admission does (an IPv6 /64 is one), and
    // exempt the same sources: "" (loopback unless gateway.limit_loopback_sources).
    options.client_ip = [this](ConnId id) {
      Connection* conn = find(id);
      if (conn == nullptr ||
          (!conn->proxied() &&
           !source_is_limited(conn->source(), config_.gateway.limit_loopback_sources))) {
        return std::string();
      }
      return conn->source().to_string();
    };
    if (CryptoPool* pool = config_.edge->pool()) {
      options.offload = [pool](std::function<void()> job) { return pool->submit(std::move(job)); };
      options.post = [this](std::function<void()> task) { post(std::move(task)); };
    }
    edge = std::make_unique<EdgeStage>(config_.edge, *this, std::move(options));
    context.sink = edge.get();
  }
  if (config_.make_adapter) adapter_ = config_.make_adapter(context);
  if (!adapter_)
    return Status::error("worker " + std::to_string(index_) + ": backend \"" +
                         config_.backend_type + "\" could not be created");
  if (edge) {
    edge->set_inner(std::move(adapter_));
    adapter_ = std::move(edge);
  }
  // The first read as soon as the loop runs, then every interval.
  uv_timer_start(&backend_probe_timer_, on_backend_probe, 0, kBackendProbeIntervalMs);
  return Status::ok();
}

void Worker::run() {
  thread_ = std::thread([this] {
    uv_run(&loop_, UV_RUN_DEFAULT);
    close_loop();
    spdlog::info("worker {}: stopped", index_);
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::close_loop() {
  if (!loop_open_) return;
  if (uv_loop_close(&loop_) == UV_EBUSY) {
    close_every_handle();  // handles an adapter left open
    uv_loop_close(&loop_);
  }
  loop_open_ = false;
}

void Worker::close_every_handle() {
  uv_walk(
      &loop_,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h)) uv_close(h, nullptr);
      },
      nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);  // their close callbacks
}

void Worker::abandon() {
  {
    std::lock_guard lock(tasks_mu_);
    tasks_closed_ = true;
  }
  adapter_.reset();
  if (!loop_open_) return;
  if (events_) events_->close();
  dirty_.close();  // its handles free themselves in their own close callbacks
  close_every_handle();
  close_loop();
}

void Worker::post(std::function<void()> task) {
  std::lock_guard lock(tasks_mu_);
  if (tasks_closed_) return;
  tasks_.push_back(std::move(task));
  // Under the lock so teardown cannot close the handle in between.
  uv_async_send(&async_);
}

void Worker::on_async(uv_async_t* async) {
  auto* self = static_cast<Worker*>(async->data);
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(self->tasks_mu_);
    tasks.swap(self->tasks_);
  }
  for (auto& task : tasks) task();
}

void Worker::mark_dirty(Connection* conn) {
  dirty_.add(conn, conn->dirty);
}

void Worker::on_connection(uv_stream_t* server, int status) {
  auto* l = static_cast<Listener*>(server->data);
  if (status != 0) {
    spdlog::warn("worker {}: listener {}: accept error {}", l->worker->index_, l->config->name,
                 uv_strerror(status));
    return;
  }
  l->worker->accept(*l);
}

void Worker::accept(Listener& listener) {
  auto* conn = new Connection(*this, listener.index);
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener.handle),
                reinterpret_cast<uv_stream_t*>(conn->tcp())) != 0 ||
      !conn->read_peer()) {
    conn->close_now(CloseReason::kPeerClosed);  // not registered: only frees the handles
    return;
  }
  metrics_.accepted.add();
  if (!admit(listener, conn)) return;
  metrics_.active.add();
  const ConnId id = backend::make_conn_id(index_, ++serial_);
  conns_.emplace(id, conn);
  admission_order_.push_back(id);
  conn->start(id);
}

namespace {

enum RefusalKind { kMemoryRefusal, kSourceRefusal, kProxyRefusal, kRefusalKinds };

// One rate limit per kind of refusal: a flood of one kind never hides another.
LogRateLimit& refusal_lines(int kind) {
  static LogRateLimit lines[kRefusalKinds] = {
      LogRateLimit(kWarnIntervalMs), LogRateLimit(kWarnIntervalMs), LogRateLimit(kWarnIntervalMs)};
  return lines[kind];
}

}  // namespace

bool Worker::refuse(Connection* conn, const std::string& listener_name, Counter& counter,
                    const char* why, int kind) {
  counter.add();
  if (uint64_t suppressed = 0; refusal_lines(kind).allow(suppressed)) {
    spdlog::warn("worker {}: listener {}: connection from {} refused: {} ({} more refusals)",
                 index_, listener_name, conn->client_ip(), why, suppressed);
  }
  conn->close_now(CloseReason::kLimit);
  return false;
}

bool Worker::count_source(Connection* conn, const std::string& listener_name) {
  const GatewaySettings& g = config_.gateway;
  const SourceBucket source = conn->source();
  if (!conn->proxied() && !source_is_limited(source, g.limit_loopback_sources)) return true;
  if (!gateway_.source_counts().try_add(source, g.max_connections_per_source)) {
    return refuse(conn, listener_name, metrics_.rejected_per_source, "max_connections_per_source",
                  kSourceRefusal);
  }
  conn->set_source_counted(true);
  return true;
}

bool Worker::admit_source(Connection* conn) {
  return count_source(conn, config_.listeners[conn->listener_index()].name);
}

bool Worker::admit(Listener& listener, Connection* conn) {
  const GatewaySettings& g = config_.gateway;
  const ListenerConfig& l = *listener.config;
  if (stopping_) {
    conn->close_now(CloseReason::kLimit);
    return false;
  }
  if (buffered_bytes() > static_cast<int64_t>(g.max_memory_bytes)) {
    return refuse(conn, l.name, metrics_.rejected_memory, "max_memory_bytes", kMemoryRefusal);
  }
  if (l.proxy_protocol) {
    // The TCP peer is a balancer: only a trusted one may name clients, and the source is
    // counted once its PROXY header has named the client (admit_source()).
    const PeerAddress& peer = conn->peer_address();
    if (!any_contains(l.proxy_trusted, peer.family, peer.bytes.data())) {
      return refuse(conn, l.name, metrics_.rejected_proxy_untrusted,
                    "not in proxy_trusted (a PROXY protocol listener)", kProxyRefusal);
    }
  } else if (!count_source(conn, l.name)) {
    return false;
  }
  std::atomic<uint64_t>& open = gateway_.open_connections();
  if (open.fetch_add(1, std::memory_order_relaxed) >= g.max_connections &&
      !evict_unauthenticated()) {
    open.fetch_sub(1, std::memory_order_relaxed);
    if (conn->source_counted()) {
      gateway_.source_counts().remove(conn->source());
      conn->set_source_counted(false);
    }
    metrics_.rejected_max_connections.add();
    spdlog::debug("worker {}: listener {}: connection rejected (max_connections = {})", index_,
                  l.name, g.max_connections);
    conn->close_now(CloseReason::kLimit);
    return false;
  }
  return true;
}

bool Worker::evict_unauthenticated() {
  while (!admission_order_.empty()) {
    const ConnId id = admission_order_.front();
    admission_order_.pop_front();
    Connection* c = find(id);
    if (c == nullptr || c->authenticated() || c->closing()) continue;
    metrics_.evicted_unauthenticated.add();
    spdlog::debug("conn {:#x}: evicted for a new connection (max_connections, not authenticated)",
                  id);
    // Its slot passes to the new connection: forget() gives one back, the caller took one.
    c->close_now(CloseReason::kLimit);
    return true;
  }
  return false;
}

MemoryAccount& Worker::gateway_memory() {
  return gateway_.memory();
}

int64_t Worker::buffered_bytes() const {
  return gateway_.memory().total(memory_);
}

void Worker::forget(Connection* conn, CloseReason reason) {
  if (conn->dirty) dirty_.remove(conn);
  auto it = conns_.find(conn->id());
  if (it == conns_.end() || it->second != conn) return;  // rejected or never registered
  conns_.erase(it);
  // Entries of closed or authenticated connections leave the eviction queue lazily; bound it.
  if (admission_order_.size() > 2 * conns_.size() + 64) {
    std::erase_if(admission_order_, [this](ConnId id) {
      const Connection* c = find(id);
      return c == nullptr || c->authenticated();
    });
  }
  account_memory(-static_cast<int64_t>(conn->accounted_bytes()));
  if (conn->source_counted()) gateway_.source_counts().remove(conn->source());
  gateway_.open_connections().fetch_sub(1, std::memory_order_relaxed);
  metrics_.active.sub();
  metrics_.closed[static_cast<size_t>(reason)].add();
  if (stopping_) maybe_finish();
}

Connection* Worker::find(ConnId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second;
}

void Worker::take_routed_http(ConnId target, ConnId origin, Bytes packet) {
  const bool returning = target == origin;
  if (Connection* c = find(target); c != nullptr && c->take_routed_http(packet)) {
    if (returning) {
      metrics_.count(HttpRouteOutcome::kReturned);
    }
    return;
  }
  if (!returning) {
    // The holder went away while the packet was posted: back to the connection it came for.
    gateway_.route_http_packet(origin, origin, std::move(packet));
    return;
  }
  metrics_.count(HttpRouteOutcome::kLost);
  spdlog::debug("conn {:#x}: routed http packet of {} bytes lost (connection gone)", origin,
                packet.size());
}

// GatewaySink: a connection that is gone is ignored (the adapter got or gets on_close).
bool Worker::send_packet(ConnId conn, backend::ByteView packet) {
  Connection* c = find(conn);
  return c ? c->send_packet(packet) : true;
}

bool Worker::send_message(ConnId conn, const backend::OutboundMessage&) {
  Connection* c = find(conn);
  if (!c) return true;
  metrics_.count(GatewayError::kNoEdgeCrypto);
  spdlog::error("conn {:#x}: adapter called send_message but edge decryption is off; closing",
                conn);
  c->begin_close(CloseReason::kAdapter);
  return false;
}

void Worker::send_quick_ack(ConnId conn, uint32_t token) {
  if (Connection* c = find(conn)) c->send_quick_ack(token);
}

void Worker::send_transport_error(ConnId conn, int32_t code) {
  if (Connection* c = find(conn)) c->send_transport_error(code);
}

void Worker::close(ConnId conn, std::string_view reason) {
  if (Connection* c = find(conn)) {
    spdlog::debug("conn {:#x}: closed by the backend: {}", conn, reason);
    c->begin_close(CloseReason::kAdapter);
  }
}

void Worker::resume_reading(ConnId conn) {
  if (Connection* c = find(conn)) c->resume_reading();
}

void Worker::mark_authenticated(ConnId conn) {
  if (Connection* c = find(conn)) c->mark_authenticated();
}

void Worker::begin_shutdown() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& l : listeners_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&l->handle), nullptr);
  }
  spdlog::info("worker {}: stopped accepting; stopping the backend ({} connections open)", index_,
               conns_.size());
  shutdown_deadline_ms_ = uv_now(&loop_) + config_.gateway.shutdown_timeout_ms;
  uv_timer_start(&shutdown_timer_, on_shutdown_timer, config_.gateway.shutdown_timeout_ms, 0);
  adapter_->stop([this] { adapter_stopped(); });
}

Worker::MatchingConnections Worker::describe_connections(
    const std::function<bool(const ConnectionRecord&)>& match, size_t limit) const {
  MatchingConnections out;
  for (const auto& [id, c] : conns_) {
    if (c->closing()) continue;
    ConnectionRecord record = c->describe();
    record.worker = index_;
    if (!match(record)) continue;
    if (++out.matched <= limit) out.records.push_back(std::move(record));
  }
  return out;
}

size_t Worker::close_connections(const std::function<bool(const ConnectionRecord&)>& match) {
  std::vector<Connection*> chosen;
  for (const auto& [id, c] : conns_) {
    if (c->closing()) continue;
    ConnectionRecord record = c->describe();
    record.worker = index_;
    if (match(record)) chosen.push_back(c);
  }
  for (Connection* c : chosen) c->begin_close(CloseReason::kAdminKill);
  return chosen.size();
}

void Worker::adapter_stopped() {
  if (adapter_stopped_ || finishing_) return;
  adapter_stopped_ = true;
  spdlog::info("worker {}: backend stopped; closing {} connections after their output is flushed",
               index_, conns_.size());
  std::vector<Connection*> open;
  for (auto& [id, c] : conns_) open.push_back(c);
  for (Connection* c : open) {
    if (c->streaming()) {
      c->begin_close(CloseReason::kShutdown);
    } else {
      c->close_now(CloseReason::kShutdown);
    }
  }
  maybe_finish();
}

void Worker::on_backend_probe(uv_timer_t* timer) {
  auto* self = static_cast<Worker*>(timer->data);
  if (self->adapter_) {
    self->backend_up_.store(self->adapter_->backend_up(), std::memory_order_relaxed);
  }
}

void Worker::on_shutdown_timer(uv_timer_t* timer) {
  auto* self = static_cast<Worker*>(timer->data);
  if (self->finishing_) {
    self->teardown();
  } else {
    self->shutdown_deadline();
  }
}

void Worker::shutdown_deadline() {
  deadline_passed_ = true;
  if (!conns_.empty()) {
    spdlog::warn("worker {}: shutdown deadline reached; closing {} connections now", index_,
                 conns_.size());
  }
  std::vector<Connection*> open;
  for (auto& [id, c] : conns_) open.push_back(c);
  for (Connection* c : open) c->close_now(CloseReason::kShutdown);
  maybe_finish();
}

void Worker::maybe_finish() {
  if (finishing_ || !conns_.empty() || !(adapter_stopped_ || deadline_passed_)) return;
  // Never tear down from inside an adapter callback: defer to the next loop iteration, and
  // give the events of the last closes until the shutdown deadline to reach Redis first (none
  // left once it passed: they then get one loop turn).
  finishing_ = true;
  auto finish = [this] { uv_timer_start(&shutdown_timer_, on_shutdown_timer, 0, 0); };
  if (events_) {
    events_->when_drained(drain_time_left_ms(uv_now(&loop_)), finish);
  } else {
    finish();
  }
}

uint64_t Worker::drain_time_left_ms(uint64_t now_ms) const {
  if (!stopping_) return config_.gateway.shutdown_timeout_ms;
  return shutdown_deadline_ms_ > now_ms ? shutdown_deadline_ms_ - now_ms : 0;
}

void Worker::teardown() {
  {
    std::lock_guard lock(tasks_mu_);
    tasks_closed_ = true;
  }
  adapter_.reset();
  if (events_) events_->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  dirty_.close();
  uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&backend_probe_timer_), nullptr);
  timers_.close();
}

}  // namespace mtedge::gateway
