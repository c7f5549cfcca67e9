// mtedge-echo: an MTProto upstream for relay benchmarks. Speaks intermediate (server side),
// plain (the ee ee ee ee tag first) or inside obfuscated2 without a secret (a 64-byte init
// whose tag is intermediate), and answers every frame with the same payload. All frames
// decoded from one read go back in one write. One libuv loop, any number of connections;
// a client that does not read is not read from either (its queue is capped).
//
//   mtedge-echo [--listen 127.0.0.1:0]     prints "listening on HOST:PORT", exits on SIGTERM
#include <uv.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "bench/load/proc_stats.h"
#include "codecs/core/transport_stack.h"
#include "codecs/framers/framers.h"
#include "codecs/obfuscated/obfuscated2.h"

namespace {

using namespace mtedge;
using namespace mtedge::codecs;

constexpr size_t kReadBufferSize = 256 * 1024;
constexpr size_t kMaxQueued = 8u << 20;  // stop reading a client whose answers pile up
constexpr uint8_t kTag[4] = {0xee, 0xee, 0xee, 0xee};

uint8_t g_read_buffer[kReadBufferSize];

class EchoConn final : public FrameSink {
 public:
  EchoConn()
      : stack_(mtedge::codecs::make_framer(TransportKind::kIntermediate, Role::kServer), {}) {}

  uv_tcp_t tcp{};

  bool on_packet(MutableByteView payload, bool) override {
    stack_.write_packet(payload, false, out_);
    return true;
  }

  // Returns false when the connection must close (bad tag or init, bad frame).
  bool on_bytes(MutableByteView bytes) {
    if (!started_ && !start(bytes)) return false;
    if (!bytes.empty() && stack_.feed(bytes, *this) != CodecError::kNone) return false;
    if (!out_.empty()) write();
    return true;
  }

  void close() {
    if (closing_) return;
    closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp),
             [](uv_handle_t* h) { delete static_cast<EchoConn*>(h->data); });
  }

  void resume_if_drained() {
    if (paused_ && !closing_ && uv_stream_get_write_queue_size(stream()) < kMaxQueued / 2) {
      paused_ = false;
      start_reading();
    }
  }

  void start_reading();

 private:
  // Takes the first 4 bytes (the plain tag) or 64 (an obfuscated2 init) off the front of
  // `bytes` as they arrive; false on a bad start.
  bool start(MutableByteView& bytes) {
    auto take = [&](size_t upto) {
      const size_t n = std::min(bytes.size(), upto - head_len_);
      std::memcpy(head_ + head_len_, bytes.data(), n);
      head_len_ += n;
      bytes = bytes.subspan(n);
    };
    take(sizeof kTag);
    if (head_len_ < sizeof kTag) return true;
    if (std::memcmp(head_, kTag, sizeof kTag) == 0) {
      started_ = true;
      return true;
    }
    take(obfuscated::kInitSize);
    if (head_len_ < obfuscated::kInitSize) return true;
    obfuscated::InitOptions options;
    options.allowed_inner = {TransportKind::kIntermediate};
    obfuscated::ServerInit init =
        obfuscated::accept_init(ByteView(head_, obfuscated::kInitSize), {}, options, nullptr, 0);
    if (!init.ok()) return false;
    stack_.add_outer_stage(std::move(init.stage));
    started_ = true;
    return true;
  }

  struct WriteReq {
    uv_write_t req{};
    Bytes data;
  };

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }

  void write() {
    auto* w = new WriteReq;
    w->data.swap(out_);
    w->req.data = w;
    uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(w->data.data()), unsigned(w->data.size()));
    if (uv_write(&w->req, stream(), &buf, 1, on_write) < 0) {
      delete w;
      close();
      return;
    }
    if (uv_stream_get_write_queue_size(stream()) > kMaxQueued) {
      paused_ = true;
      uv_read_stop(stream());
    }
  }

  static void on_write(uv_write_t* req, int status) {
    auto* conn = static_cast<EchoConn*>(req->handle->data);
    delete static_cast<WriteReq*>(req->data);
    if (status < 0) return conn->close();
    conn->resume_if_drained();
  }

  TransportStack stack_;
  Bytes out_;
  uint8_t head_[obfuscated::kInitSize] = {};
  size_t head_len_ = 0;
  bool started_ = false;
  bool paused_ = false;
  bool closing_ = false;
};

void EchoConn::start_reading() {
  uv_read_start(
      stream(),
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        buf->base = reinterpret_cast<char*>(g_read_buffer);
        buf->len = kReadBufferSize;
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* conn = static_cast<EchoConn*>(s->data);
        if (nread < 0) return conn->close();
        if (nread > 0 &&
            !conn->on_bytes(MutableByteView(reinterpret_cast<uint8_t*>(buf->base), size_t(nread))))
          conn->close();
      });
}

void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* conn = new EchoConn;
  uv_tcp_init(server->loop, &conn->tcp);
  conn->tcp.data = conn;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&conn->tcp)) != 0) return conn->close();
  uv_tcp_nodelay(&conn->tcp, 1);
  conn->start_reading();
}

bool parse_listen(const std::string& text, sockaddr_storage& out) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const int port = std::atoi(text.c_str() + colon + 1);
  if (port < 0 || port > 65535) return false;
  return uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0 ||
         uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      listen = argv[++i];
    } else {
      std::fprintf(stderr, "usage: mtedge-echo [--listen HOST:PORT]\n");
      return 2;
    }
  }
  sockaddr_storage address{};
  if (!parse_listen(listen, address)) {
    std::fprintf(stderr, "--listen: HOST:PORT with an IP address expected\n");
    return 2;
  }
  mtedge::bench::raise_open_files_limit();
  uv_loop_t* loop = uv_default_loop();
  uv_tcp_t server;
  uv_tcp_init(loop, &server);
  int rc = uv_tcp_bind(&server, reinterpret_cast<const sockaddr*>(&address), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server), 4096, on_connection);
  if (rc != 0) {
    std::fprintf(stderr, "mtedge-echo: cannot listen on %s: %s\n", listen.c_str(), uv_strerror(rc));
    return 1;
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&bound), &len);
  char host[64] = {};
  int port = 0;
  if (bound.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&bound);
    uv_ip6_name(a, host, sizeof host);
    port = ntohs(a->sin6_port);
    std::printf("listening on [%s]:%d\n", host, port);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&bound);
    uv_ip4_name(a, host, sizeof host);
    port = ntohs(a->sin_port);
    std::printf("listening on %s:%d\n", host, port);
  }
  std::fflush(stdout);

  uv_signal_t sigterm, sigint;
  for (auto [sig, signum] : {std::pair{&sigterm, SIGTERM}, std::pair{&sigint, SIGINT}}) {
    uv_signal_init(loop, sig);
    uv_signal_start_oneshot(
        sig, [](uv_signal_t* s, int) { uv_stop(s->loop); }, signum);
    uv_unref(reinterpret_cast<uv_handle_t*>(sig));
  }
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}
