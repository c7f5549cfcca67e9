#include "backend-adapters/embedded/adapter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

namespace mtedge::backend::embedded {

// ---- WorkerRouter --------------------------------------------------------------------------

void WorkerRouter::attach(unsigned worker, EmbeddedAdapter* adapter,
                          const AdapterContext& context) {
  std::lock_guard lock(mu_);
  adapters_[worker] = adapter;
  if (!post_) post_ = context.post;
}

void WorkerRouter::detach(unsigned worker) {
  std::lock_guard lock(mu_);
  adapters_.erase(worker);
}

EmbeddedAdapter* WorkerRouter::adapter(unsigned worker) {
  std::lock_guard lock(mu_);
  auto it = adapters_.find(worker);
  return it == adapters_.end() ? nullptr : it->second;
}

void WorkerRouter::post(unsigned worker, std::function<void()> task) {
  // Only to an attached worker: one whose adapter detached (it is shutting down) gets nothing,
  // whichever thread posts (the storage's, say). Posted outside the lock: a post may run the
  // task at once.
  std::function<void(unsigned, std::function<void()>)> post;
  {
    std::lock_guard lock(mu_);
    if (adapters_.contains(worker)) post = post_;
  }
  if (post) post(worker, std::move(task));
}

void WorkerRouter::on_worker(unsigned worker, std::function<void(EmbeddedAdapter&)> task) {
  post(worker, [self = shared_from_this(), worker, task = std::move(task)] {
    if (EmbeddedAdapter* a = self->adapter(worker)) task(*a);
  });
}

void WorkerRouter::deliver(ConnId conn, int64_t salt, const SessionKey& key,
                           std::vector<OutMessage> messages) {
  unsigned worker = worker_of(conn);
  post(worker, [self = shared_from_this(), worker, conn, salt, key,
                messages = std::move(messages)]() mutable {
    if (EmbeddedAdapter* a = self->adapter(worker))
      a->send_local(conn, salt, key, std::move(messages));
  });
}

void WorkerRouter::close(ConnId conn, std::string reason) {
  unsigned worker = worker_of(conn);
  post(worker, [self = shared_from_this(), worker, conn, reason = std::move(reason)] {
    if (EmbeddedAdapter* a = self->adapter(worker)) a->close_local(conn, reason);
  });
}

// ---- EmbeddedAdapter -----------------------------------------------------------------------

struct EmbeddedAdapter::Timer {
  uv_timer_t handle;
  EmbeddedAdapter* adapter;
  ConnId conn;
};

EmbeddedAdapter::EmbeddedAdapter(const AdapterContext& context,
                                 std::shared_ptr<SessionService> service,
                                 std::shared_ptr<WorkerRouter> router)
    : context_(context), service_(std::move(service)), router_(std::move(router)) {
  router_->attach(context_.worker, this, context_);
  conns_.max_load_factor(kPerConnectionMapLoad);
  if (context_.metrics != nullptr) {
    over_budget_ = &context_.metrics->counter(
        "mtedge_embedded_packets_over_budget_total",
        "Decrypted packets refused whole (over the per-packet inflate or TL-node budget); the "
        "connection was closed");
    flood_waits_ = &context_.metrics->counter(
        "mtedge_embedded_flood_waits_total",
        "Messages refused with FLOOD_WAIT_X (a user over its messages_per_second / message_burst)");
  }
  if (context_.worker == 0 && context_.loop != nullptr) {
    sweep_timer_ = new uv_timer_t{};
    uv_timer_init(context_.loop, sweep_timer_);
    sweep_timer_->data = service_.get();
    uv_timer_start(
        sweep_timer_,
        [](uv_timer_t* timer) {
          size_t dropped = static_cast<SessionService*>(timer->data)->sweep();
          if (dropped > 0) spdlog::debug("embedded: {} idle sessions expired", dropped);
        },
        60'000, 60'000);
    uv_unref(reinterpret_cast<uv_handle_t*>(sweep_timer_));  // never keeps the loop alive
    start_storage_metrics();
  }
}

void EmbeddedAdapter::start_storage_metrics() {
  if (context_.metrics == nullptr || service_->storage() == nullptr) return;
  AdapterMetrics& m = *context_.metrics;
  storage_counters_.appended = &m.counter("mtedge_embedded_storage_records_appended_total",
                                          "Messenger state records appended to the state log");
  storage_counters_.durable = &m.counter(
      "mtedge_embedded_storage_records_durable_total",
      "State records written and fsynced (appended - durable: the durable lag, in records)");
  storage_counters_.syncs =
      &m.counter("mtedge_embedded_storage_syncs_total", "fsyncs (fdatasync) of the state log");
  storage_counters_.failed_waits = &m.counter(
      "mtedge_embedded_storage_durable_failures_total",
      "Frames whose state records failed to persist (their calls were answered 500 INTERNAL)");
  storage_counters_.compactions =
      &m.counter("mtedge_embedded_storage_compactions_total", "State log compactions done");
  storage_counters_.compaction_failures = &m.counter(
      "mtedge_embedded_storage_compaction_failures_total", "State log compactions that failed");
  storage_timer_ = new uv_timer_t{};
  uv_timer_init(context_.loop, storage_timer_);
  storage_timer_->data = this;
  uv_timer_start(
      storage_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<EmbeddedAdapter*>(timer->data);
        const state::StorageStats stats = self->service_->storage()->stats();
        const StorageCounters& c = self->storage_counters_;
        auto set = [](Counter* counter, uint64_t value) {
          counter->value.store(value, std::memory_order_relaxed);  // this loop is the one writer
        };
        set(c.appended, stats.appended);
        set(c.durable, stats.durable);
        set(c.syncs, stats.syncs);
        set(c.failed_waits, stats.failed_waits);
        set(c.compactions, stats.compactions);
        set(c.compaction_failures, stats.compaction_failures);
      },
      0, 1000);
  uv_unref(reinterpret_cast<uv_handle_t*>(storage_timer_));
}

EmbeddedAdapter::~EmbeddedAdapter() {
  router_->detach(context_.worker);
  close_timers();
  for (auto& [conn, state] : conns_) {
    drop_timer(state.timer);
    if (state.http) drop_timer(state.http->timer);
    if (state.bound) service_->detach(conn, state.auth_key_id, state.session_id);
  }
}

void EmbeddedAdapter::on_open(const ConnInfo& info) {
  Conn& state = conns_.try_emplace(info.id).first->second;
  if (info.one_reply_per_request()) state.http = std::make_unique<HttpPoll>();
}

bool EmbeddedAdapter::on_frame(const Frame& frame) {
  const ConnId conn = frame.conn_id;
  if (frame.kind != FrameKind::kDecrypted) {
    // Handshakes and decryption belong to the edge crypto stage; without it this adapter
    // cannot serve the client.
    spdlog::warn(
        "embedded: conn {} sent a {} frame; the embedded backend needs crypto.edge_decryption = "
        "true",
        conn, frame.kind == FrameKind::kUnencrypted ? "unencrypted" : "encrypted");
    context_.sink->close(conn, "embedded backend needs edge decryption");
    return true;
  }
  Conn& state = conns_[conn];
  if (state.bound &&
      (state.auth_key_id != frame.auth_key_id || state.session_id != frame.session_id)) {
    // The client moved this connection to another session (e.g. after resetting its own).
    service_->detach(conn, state.auth_key_id, state.session_id);
    if (state.http) {
      state.http->holding = false;  // the new session learns it below
      if (!state.http->batch.empty()) {
        service_->undelivered(SessionKey{state.auth_key_id, state.session_id},
                              state.http->batch_salt, std::move(state.http->batch));
        state.http->batch.clear();
      }
    }
  }
  state.bound = true;
  state.auth_key_id = frame.auth_key_id;
  state.session_id = frame.session_id;

  Outcome out = service_->handle(conn, frame, state.http ? ConnMode::kHttp : ConnMode::kStream);
  if (out.over_budget) {
    // A real client never sends this much work in one packet: nothing of it was processed.
    if (over_budget_ != nullptr) over_budget_->add();
    context_.sink->close(conn, "embedded: packet over its work budget");
    return true;
  }
  if (out.flood_waits > 0 && flood_waits_ != nullptr) flood_waits_->add(out.flood_waits);
  if (out.disconnect_after_s) arm_timer(conn, state, *out.disconnect_after_s);
  if (state.http) {
    // This frame is one HTTP request: held until something answers it or its wait ends.
    // max_wait bounds the other two (docs/spec/wire-notes.md §4: max_wait > max_delay >
    // wait_after).
    const HttpWait wait = out.http_wait.value_or(HttpWait{});
    const int32_t max_wait = std::clamp(wait.max_wait, 0, kMaxHttpWaitMs);
    auto within = [max_wait](int32_t ms) { return uint32_t(std::clamp(ms, 0, max_wait)); };
    state.http->held.push_back({uv_now(context_.loop) + uint64_t(max_wait), within(wait.max_delay),
                                within(wait.wait_after)});
    held_changed(conn, state);
    answer_request(conn, state, out.salt, std::move(out.replies));
  } else {
    for (const OutMessage& m : out.replies) send_one(conn, out.salt, out.session_id, m);
  }
  if (out.durable_lsn != 0) {
    await_durable(frame, out);
  } else if (frame.quick_ack && conns_.contains(conn)) {
    context_.sink->send_quick_ack(conn, frame.quick_ack_token);
  }
  for (ConnId other : out.close) {
    if (worker_of(other) == context_.worker) {
      close_local(other, "auth key destroyed");
    } else {
      router_->close(other, "auth key destroyed");
    }
  }
  // Above high water: stop reading this client until it drained (on_client_drained).
  auto it = conns_.find(conn);
  return it == conns_.end() || !it->second.congested;
}

void EmbeddedAdapter::await_durable(const Frame& frame, Outcome& out) {
  auto awaiting = std::make_shared<AwaitingDurable>();
  awaiting->conn = frame.conn_id;
  awaiting->key = SessionKey{frame.auth_key_id, frame.session_id};
  awaiting->quick_ack = frame.quick_ack;
  awaiting->quick_ack_token = frame.quick_ack_token;
  awaiting->answers = std::move(out.held_answers);
  awaiting->pushes = std::move(out.held_pushes);
  // The storage answers on its own thread: the rest happens on this worker's loop.
  service_->storage()->when_durable(
      out.durable_lsn, [router = router_, worker = context_.worker, awaiting](bool durable) {
        router->on_worker(worker, [awaiting, durable](EmbeddedAdapter& adapter) {
          adapter.on_durable(*awaiting, durable);
        });
      });
}

void EmbeddedAdapter::on_durable(AwaitingDurable& awaiting, bool durable) {
  // The quick-ack promises the calls are kept: not sent when persisting them failed.
  if (durable && awaiting.quick_ack && conns_.contains(awaiting.conn)) {
    context_.sink->send_quick_ack(awaiting.conn, awaiting.quick_ack_token);
  }
  service_->answer_durable(awaiting.key, std::move(awaiting.answers), awaiting.pushes, durable);
}

void EmbeddedAdapter::on_client_drained(ConnId conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || !it->second.congested) return;
  it->second.congested = false;
  context_.sink->resume_reading(conn);
}

void EmbeddedAdapter::send_local(ConnId conn, int64_t salt, const SessionKey& key,
                                 std::vector<OutMessage> messages) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || (it->second.http && (it->second.http->held.empty() ||
                                                 it->second.session_id != key.session_id ||
                                                 it->second.auth_key_id != key.auth_key_id))) {
    // Closed meanwhile, its long poll was answered (e.g. expired) before this arrived, or it
    // moved to another session.
    service_->undelivered(key, salt, std::move(messages));
    return;
  }
  if (it->second.http) {
    batch_http(conn, it->second, salt, std::move(messages));
    return;
  }
  for (const OutMessage& m : messages) send_one(conn, salt, key.session_id, m);
}

void EmbeddedAdapter::answer_request(ConnId conn, Conn& state, int64_t salt,
                                     std::vector<OutMessage> replies) {
  const SessionKey key{state.auth_key_id, state.session_id};
  // Content-related messages (odd seq_no) belong to the session: they take the request held
  // longest, on any of its connections. The rest (pong, notifications) answer this request.
  auto is_content = [](const OutMessage& m) { return (m.seq_no & 1) != 0; };
  if (std::any_of(replies.begin(), replies.end(), is_content)) {
    std::optional<ConnId> target = service_->route_target(key);
    if (target && *target != conn) {
      std::vector<OutMessage> routed;
      std::copy_if(replies.begin(), replies.end(), std::back_inserter(routed), is_content);
      std::erase_if(replies, is_content);
      router_->deliver(*target, salt, key, std::move(routed));
    }
  }
  // `state` may be gone after the router ran a delivery inline; look the connection up again.
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  send_http(conn, it->second, salt, std::move(replies));
  if (it = conns_.find(conn); it != conns_.end()) held_changed(conn, it->second);  // still open
}

void EmbeddedAdapter::batch_http(ConnId conn, Conn& state, int64_t salt,
                                 std::vector<OutMessage> messages) {
  HttpPoll& poll = *state.http;
  const uint64_t now = uv_now(context_.loop);
  if (poll.batch.empty()) poll.batch_first_ms = now;
  poll.batch_salt = salt;
  poll.batch.insert(poll.batch.end(), std::make_move_iterator(messages.begin()),
                    std::make_move_iterator(messages.end()));
  const Held& oldest = poll.held.front();  // send_local checked that one is held
  poll.batch_due_ms =
      std::min(poll.batch_first_ms + oldest.max_delay_ms, now + oldest.wait_after_ms);
  if (poll.batch_due_ms > now) {
    arm_poll(conn, state);
    return;
  }
  std::vector<OutMessage> batch;
  batch.swap(poll.batch);
  send_http(conn, state, salt, std::move(batch));
  if (auto it = conns_.find(conn); it != conns_.end()) held_changed(conn, it->second);
}

void EmbeddedAdapter::held_changed(ConnId conn, Conn& state) {
  HttpPoll& poll = *state.http;
  const bool holding = state.bound && !poll.held.empty();
  // Holding is re-reported too: a session evicted and created again must learn it (the
  // session keeps the original order of a connection that already holds).
  if (holding || holding != poll.holding) {
    service_->set_holding(conn, SessionKey{state.auth_key_id, state.session_id}, holding);
    poll.holding = holding;
  }
  arm_poll(conn, state);
}

void EmbeddedAdapter::send_one(ConnId conn, int64_t salt, int64_t session_id, const OutMessage& m) {
  OutboundMessage out;
  out.salt = salt;
  out.session_id = session_id;
  out.msg_id = m.msg_id;
  out.seq_no = m.seq_no;
  out.body = *m.body;
  // Above high water the message is still queued by the gateway (nothing is lost); the client
  // is paused at the end of its frame (on_frame answers false) until it drained.
  if (context_.sink->send_message(conn, out)) return;
  if (auto it = conns_.find(conn); it != conns_.end()) it->second.congested = true;
}

void EmbeddedAdapter::send_http(ConnId conn, Conn& state, int64_t salt,
                                std::vector<OutMessage> messages) {
  if (messages.empty()) return;  // a batch waits for its own time
  HttpPoll& poll = *state.http;
  if (!poll.batch.empty()) {
    messages.insert(messages.begin(), std::make_move_iterator(poll.batch.begin()),
                    std::make_move_iterator(poll.batch.end()));
    poll.batch.clear();
  }
  // The gateway answers its oldest waiting request with the packet (or keeps it for the
  // next one). `state` is not used after the send: the send may close the connection.
  if (!poll.held.empty()) poll.held.pop_front();
  const int64_t session_id = state.session_id;
  if (messages.size() == 1) {
    send_one(conn, salt, session_id, messages.front());
  } else {
    send_one(conn, salt, session_id, service_->container(state.auth_key_id, session_id, messages));
  }
}

void EmbeddedAdapter::arm_poll(ConnId conn, Conn& state) {
  HttpPoll& poll = *state.http;
  if ((poll.held.empty() && poll.batch.empty()) || context_.loop == nullptr) {
    drop_timer(poll.timer);
    return;
  }
  make_timer(poll.timer, conn);
  const uint64_t now = uv_now(context_.loop);
  uint64_t due = UINT64_MAX;
  for (const Held& h : poll.held) due = std::min(due, h.deadline_ms);
  if (!poll.batch.empty()) due = std::min(due, poll.batch_due_ms);
  uv_timer_start(
      &poll.timer->handle,
      [](uv_timer_t* handle) {
        auto* timer = static_cast<Timer*>(handle->data);
        timer->adapter->expire_polls(timer->conn);
      },
      due > now ? due - now : 0, 0);
}

void EmbeddedAdapter::expire_polls(ConnId conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  Conn& state = it->second;
  HttpPoll& poll = *state.http;
  const uint64_t now = uv_now(context_.loop);
  auto send_batch = [&] {
    std::vector<OutMessage> batch;
    batch.swap(poll.batch);
    send_http(conn, state, poll.batch_salt, std::move(batch));
    return conns_.contains(conn);  // the send may have closed it (`state` is gone)
  };
  if (!poll.batch.empty() && poll.batch_due_ms <= now && !send_batch()) return;
  // Responses leave in request order: a request whose wait is over takes every older
  // request with it (each answered early: with the batch if one waits, else an empty
  // container).
  auto last = std::find_if(poll.held.rbegin(), poll.held.rend(),
                           [now](const Held& h) { return h.deadline_ms <= now; });
  size_t answer = static_cast<size_t>(poll.held.rend() - last);
  for (; answer > 0; --answer) {
    if (!state.bound) {
      poll.held.pop_front();
      continue;
    }
    if (!poll.batch.empty()) {
      if (!send_batch()) return;
      continue;
    }
    poll.held.pop_front();
    // The long poll's answer when there is nothing to send (docs/spec/wire-notes.md §4).
    OutMessage empty = service_->container(state.auth_key_id, state.session_id, {});
    send_one(conn, service_->current_salt(state.auth_key_id, system_clock_now()), state.session_id,
             empty);
    if (!conns_.contains(conn)) return;  // the send closed it (`state` is gone)
  }
  held_changed(conn, state);
}

void EmbeddedAdapter::close_local(ConnId conn, std::string_view reason) {
  if (!conns_.contains(conn)) return;
  context_.sink->close(conn, reason);
}

void EmbeddedAdapter::on_auth_key_created(uint64_t auth_key_id, int64_t server_salt) {
  service_->on_auth_key_created(auth_key_id, server_salt);
}

void EmbeddedAdapter::on_close(ConnId conn, CloseReason) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  Conn& state = it->second;
  drop_timer(state.timer);
  if (state.http) {
    drop_timer(state.http->timer);
    if (state.bound && !state.http->batch.empty()) {
      // Batched for a request that will never be answered: back to the session.
      service_->undelivered(SessionKey{state.auth_key_id, state.session_id}, state.http->batch_salt,
                            std::move(state.http->batch));
    }
  }
  if (state.bound) service_->detach(conn, state.auth_key_id, state.session_id);
  conns_.erase(it);
}

void EmbeddedAdapter::arm_timer(ConnId conn, Conn& state, uint32_t seconds) {
  if (seconds == 0 || context_.loop == nullptr) {
    drop_timer(state.timer);
    return;
  }
  make_timer(state.timer, conn);
  uv_timer_start(
      &state.timer->handle,
      [](uv_timer_t* handle) {
        auto* timer = static_cast<Timer*>(handle->data);
        timer->adapter->close_local(timer->conn, "ping_delay_disconnect delay elapsed");
      },
      uint64_t(seconds) * 1000, 0);
}

void EmbeddedAdapter::make_timer(Timer*& timer, ConnId conn) {
  if (timer != nullptr) return;
  timer = new Timer{};
  timer->adapter = this;
  timer->conn = conn;
  uv_timer_init(context_.loop, &timer->handle);
  timer->handle.data = timer;
}

void EmbeddedAdapter::drop_timer(Timer*& timer) {
  if (timer == nullptr) return;
  uv_timer_stop(&timer->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer->handle),
           [](uv_handle_t* handle) { delete static_cast<Timer*>(handle->data); });
  timer = nullptr;
}

void EmbeddedAdapter::close_timers() {
  for (uv_timer_t** timer : {&sweep_timer_, &storage_timer_}) {
    if (*timer == nullptr) continue;
    uv_timer_stop(*timer);
    uv_close(reinterpret_cast<uv_handle_t*>(*timer),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
    *timer = nullptr;
  }
}

void EmbeddedAdapter::stop(std::function<void()> done) {
  close_timers();
  for (auto& [conn, state] : conns_) {
    drop_timer(state.timer);
    if (state.http) drop_timer(state.http->timer);
  }
  done();
}

}  // namespace mtedge::backend::embedded
