#include "backend-adapters/embedded/adapter.h"

#include <spdlog/spdlog.h>

namespace mtedge::backend::embedded {

// ---- WorkerRouter --------------------------------------------------------------------------

void WorkerRouter::attach(unsigned worker, EmbeddedAdapter* adapter, const AdapterContext& context) {
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
  std::function<void(unsigned, std::function<void()>)> post;
  {
    std::lock_guard lock(mu_);
    post = post_;
  }
  if (post) post(worker, std::move(task));
}

void WorkerRouter::deliver(ConnId conn, int64_t salt, int64_t session_id, std::vector<OutMessage> messages) {
  unsigned worker = worker_of(conn);
  post(worker, [self = shared_from_this(), worker, conn, salt, session_id, messages = std::move(messages)] {
    if (EmbeddedAdapter* a = self->adapter(worker)) a->send_local(conn, salt, session_id, messages);
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

EmbeddedAdapter::EmbeddedAdapter(const AdapterContext& context, std::shared_ptr<SessionService> service,
                                 std::shared_ptr<WorkerRouter> router)
    : context_(context), service_(std::move(service)), router_(std::move(router)) {
  router_->attach(context_.worker, this, context_);
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
  }
}

EmbeddedAdapter::~EmbeddedAdapter() {
  router_->detach(context_.worker);
  close_sweep_timer();
  for (auto& [conn, state] : conns_) {
    drop_timer(state);
    if (state.bound) service_->detach(conn, state.auth_key_id, state.session_id);
  }
}

void EmbeddedAdapter::on_open(const ConnInfo& info) { conns_.try_emplace(info.id); }

bool EmbeddedAdapter::on_frame(const Frame& frame) {
  const ConnId conn = frame.conn_id;
  if (frame.kind != FrameKind::kDecrypted) {
    // Handshakes and decryption belong to the edge crypto stage; without it this adapter
    // cannot serve the client.
    spdlog::warn("embedded: conn {} sent a {} frame; the embedded backend needs crypto.edge_decryption = true",
                 conn, frame.kind == FrameKind::kUnencrypted ? "unencrypted" : "encrypted");
    context_.sink->close(conn, "embedded backend needs edge decryption");
    return true;
  }
  Conn& state = conns_[conn];
  if (state.bound && (state.auth_key_id != frame.auth_key_id || state.session_id != frame.session_id)) {
    // The client moved this connection to another session (e.g. after resetting its own).
    service_->detach(conn, state.auth_key_id, state.session_id);
  }
  state.bound = true;
  state.auth_key_id = frame.auth_key_id;
  state.session_id = frame.session_id;

  Outcome out = service_->handle(conn, frame);
  if (out.disconnect_after_s) arm_timer(conn, state, *out.disconnect_after_s);
  send_local(conn, out.salt, out.session_id, out.replies);
  for (ConnId other : out.close) {
    if (worker_of(other) == context_.worker) {
      close_local(other, "auth key destroyed");
    } else {
      router_->close(other, "auth key destroyed");
    }
  }
  return true;
}

void EmbeddedAdapter::send_local(ConnId conn, int64_t salt, int64_t session_id,
                                 const std::vector<OutMessage>& messages) {
  if (!conns_.contains(conn)) return;  // gone: content-related messages wait in the session queue
  for (const OutMessage& m : messages) {
    OutboundMessage out;
    out.salt = salt;
    out.session_id = session_id;
    out.msg_id = m.msg_id;
    out.seq_no = m.seq_no;
    out.body = *m.body;
    // A full outbound queue is the gateway's to handle (it stops reading the client); the
    // message is still queued there, so nothing is lost here.
    context_.sink->send_message(conn, out);
  }
}

void EmbeddedAdapter::close_local(ConnId conn, std::string_view reason) {
  if (!conns_.contains(conn)) return;
  context_.sink->close(conn, reason);
}

void EmbeddedAdapter::on_close(ConnId conn, CloseReason) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  drop_timer(it->second);
  if (it->second.bound) service_->detach(conn, it->second.auth_key_id, it->second.session_id);
  conns_.erase(it);
}

void EmbeddedAdapter::arm_timer(ConnId conn, Conn& state, uint32_t seconds) {
  if (seconds == 0 || context_.loop == nullptr) {
    drop_timer(state);
    return;
  }
  if (state.timer == nullptr) {
    state.timer = new Timer{};
    state.timer->adapter = this;
    state.timer->conn = conn;
    uv_timer_init(context_.loop, &state.timer->handle);
    state.timer->handle.data = state.timer;
  }
  uv_timer_start(
      &state.timer->handle,
      [](uv_timer_t* handle) {
        auto* timer = static_cast<Timer*>(handle->data);
        timer->adapter->close_local(timer->conn, "ping_delay_disconnect delay elapsed");
      },
      uint64_t(seconds) * 1000, 0);
}

void EmbeddedAdapter::drop_timer(Conn& state) {
  if (state.timer == nullptr) return;
  uv_timer_stop(&state.timer->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&state.timer->handle),
           [](uv_handle_t* handle) { delete static_cast<Timer*>(handle->data); });
  state.timer = nullptr;
}

void EmbeddedAdapter::close_sweep_timer() {
  if (sweep_timer_ == nullptr) return;
  uv_timer_stop(sweep_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(sweep_timer_),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); });
  sweep_timer_ = nullptr;
}

void EmbeddedAdapter::stop(std::function<void()> done) {
  close_sweep_timer();
  for (auto& [conn, state] : conns_) drop_timer(state);
  done();
}

}  // namespace mtedge::backend::embedded
