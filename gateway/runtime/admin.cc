#include "gateway/runtime/admin.h"

#include <spdlog/spdlog.h>
#include <uv.h>

#include <string_view>

#include "io/outbound_queue.h"

namespace mtedge::gateway {
namespace {

constexpr size_t kMaxRequest = 8192;
constexpr uint64_t kRequestTimeoutMs = 5000;

std::string reply(int status, std::string_view reason, std::string_view type,
                  const std::string& body, bool head) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
                    "\r\nContent-Type: " + std::string(type) +
                    "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n\r\n";
  if (!head) out += body;
  return out;
}

}  // namespace

struct AdminServer::State {
  AdminServer* owner = nullptr;
  uv_loop_t loop;
  uv_tcp_t server;
  uv_async_t stop_async;
  bool loop_open = false;
};

namespace {

// The reply goes out through an OutboundQueue; the connection closes once it is written
// (or the write failed).
void close_admin_conn(uv_stream_t* stream);
const io::OutboundEvents kAdminReplyEvents{
    [](uv_stream_t* stream, size_t) { close_admin_conn(stream); },
    [](uv_stream_t* stream, int) { close_admin_conn(stream); }};

struct AdminConn {
  AdminServer* owner;
  const AdminServer::TextFn* metrics;
  const AdminServer::HealthFn* healthy;
  uv_tcp_t tcp{};
  uv_timer_t timer{};
  std::string in;
  io::OutboundQueue out{kAdminReplyEvents};
  int open_handles = 2;
  bool answered = false;

  AdminConn(AdminServer* server, const AdminServer::TextFn* metrics_fn,
            const AdminServer::HealthFn* healthy_fn)
      : owner(server), metrics(metrics_fn), healthy(healthy_fn) {}

  void reply(std::string_view text) {
    out.append(as_bytes(text));
    out.flush(reinterpret_cast<uv_stream_t*>(&tcp));
    if (out.empty()) close();  // written at once (or failed)
  }

  void close() {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp))) return;
    auto done = [](uv_handle_t* h) {
      auto* c = static_cast<AdminConn*>(h->data);
      if (--c->open_handles == 0) delete c;
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), done);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), done);
  }
};

void close_admin_conn(uv_stream_t* stream) {
  static_cast<AdminConn*>(stream->data)->close();
}

}  // namespace

AdminServer::AdminServer(SocketAddress address, TextFn metrics, HealthFn healthy)
    : address_(address), metrics_(std::move(metrics)), healthy_(std::move(healthy)) {}

AdminServer::~AdminServer() {
  stop();
}

std::string AdminServer::respond(std::string_view head, const TextFn& metrics, bool healthy) {
  size_t sp1 = head.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : head.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos)
    return reply(400, "Bad Request", "text/plain", "bad request\n", false);
  std::string_view method = head.substr(0, sp1);
  std::string_view target = head.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  const bool is_head = method == "HEAD";
  if (method != "GET" && !is_head)
    return reply(405, "Method Not Allowed", "text/plain", "method not allowed\n", false);
  if (target == "/metrics") {
    return reply(200, "OK", "text/plain; version=0.0.4; charset=utf-8", metrics(), is_head);
  }
  if (target == "/health") {
    return healthy ? reply(200, "OK", "text/plain", "ok\n", is_head)
                   : reply(503, "Service Unavailable", "text/plain", "stopping\n", is_head);
  }
  return reply(404, "Not Found", "text/plain", "not found\n", is_head);
}

Status AdminServer::start() {
  state_ = std::make_unique<State>();
  State& s = *state_;
  s.owner = this;
  uv_loop_init(&s.loop);
  s.loop_open = true;
  uv_tcp_init(&s.loop, &s.server);
  s.server.data = this;
  uv_async_init(&s.loop, &s.stop_async, [](uv_async_t* a) {
    auto* st = static_cast<State*>(a->data);
    uv_walk(
        &st->loop,
        [](uv_handle_t* h, void* arg) {
          auto* state = static_cast<State*>(arg);
          if (h->type == UV_TCP && h != reinterpret_cast<uv_handle_t*>(&state->server) &&
              !uv_is_closing(h)) {
            static_cast<AdminConn*>(h->data)->close();
          }
        },
        st);
    uv_close(reinterpret_cast<uv_handle_t*>(&st->server), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&st->stop_async), nullptr);
  });
  s.stop_async.data = &s;
  int rc = uv_tcp_bind(&s.server, address_.get(), 0);
  if (rc == 0) {
    rc = uv_listen(
        reinterpret_cast<uv_stream_t*>(&s.server), 64, [](uv_stream_t* server, int status) {
          if (status != 0) return;
          auto* self = static_cast<AdminServer*>(server->data);
          auto* c = new AdminConn(self, &self->metrics_, &self->healthy_);
          uv_tcp_init(server->loop, &c->tcp);
          c->tcp.data = c;
          uv_timer_init(server->loop, &c->timer);
          c->timer.data = c;
          if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
            c->close();
            return;
          }
          uv_timer_start(
              &c->timer, [](uv_timer_t* t) { static_cast<AdminConn*>(t->data)->close(); },
              kRequestTimeoutMs, 0);
          uv_read_start(
              reinterpret_cast<uv_stream_t*>(&c->tcp),
              [](uv_handle_t*, size_t, uv_buf_t* buf) {
                static thread_local char storage[4096];
                *buf = uv_buf_init(storage, sizeof storage);
              },
              [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
                auto* conn = static_cast<AdminConn*>(stream->data);
                if (nread < 0) return conn->close();
                if (conn->answered) return;
                conn->in.append(buf->base, static_cast<size_t>(nread));
                size_t end = conn->in.find("\r\n\r\n");
                if (end == std::string::npos) {
                  if (conn->in.size() > kMaxRequest) conn->close();
                  return;
                }
                conn->answered = true;
                uv_read_stop(stream);
                std::string_view head(conn->in);
                head = head.substr(0, head.find("\r\n"));
                conn->reply(AdminServer::respond(head, *conn->metrics, (*conn->healthy)()));
              });
        });
  }
  if (rc != 0) {
    std::string msg = "admin.address: cannot listen on " + format_address(address_.get()) + ": " +
                      uv_strerror(rc);
    uv_close(reinterpret_cast<uv_handle_t*>(&s.server), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&s.stop_async), nullptr);
    uv_run(&s.loop, UV_RUN_DEFAULT);
    uv_loop_close(&s.loop);
    state_.reset();
    return Status::error(msg);
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&s.server, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = address_port(reinterpret_cast<sockaddr*>(&bound));
  SocketAddress shown = address_;
  shown.set_port(port_);
  spdlog::info("admin: http://{}/metrics and /health", format_address(shown.get()));
  thread_ = std::thread([this] {
    uv_run(&state_->loop, UV_RUN_DEFAULT);
    uv_loop_close(&state_->loop);
  });
  return Status::ok();
}

void AdminServer::stop() {
  if (!thread_.joinable()) return;
  uv_async_send(&state_->stop_async);
  thread_.join();
  state_.reset();
}

}  // namespace mtedge::gateway
