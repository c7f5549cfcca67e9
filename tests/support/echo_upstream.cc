#include "tests/support/echo_upstream.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "codecs/framers/framers.h"
#include "io/outbound_queue.h"

namespace mtedge::backend::relay::testing {

using mtedge::Bytes;

uint32_t token_for(ByteView payload) {
  uint32_t head = payload.size() >= 4 ? load_le32(payload.data()) : 0;
  return head | 0x80000000u;
}

// The bytes a client sends first to announce `kind` (0 for full).
static size_t tag_size(codecs::TransportKind kind) {
  Bytes tag;
  codecs::make_framer(kind, codecs::Role::kClient)->encode_tag(tag);
  return tag.size();
}

// Answers go out through an OutboundQueue; a write error is ignored (the read fails too).
void flush_answers(uv_stream_t* stream, size_t written);
const io::OutboundEvents kAnswerEvents{flush_answers, [](uv_stream_t*, int) {}};

struct TestUpstream::Conn : codecs::FrameSink {
  TestUpstream* owner;
  uv_tcp_t tcp;
  io::OutboundQueue answers{kAnswerEvents};
  std::unique_ptr<codecs::TransportStack> stack;
  size_t tag_left;
  bool closing = false;
  std::vector<char> buf = std::vector<char>(64 * 1024);

  Conn(TestUpstream* o) : owner(o) {
    stack = std::make_unique<codecs::TransportStack>(
        codecs::make_framer(o->kind_, codecs::Role::kServer, 7),
        codecs::FrameLimits{(8u << 20), (8u << 20)});
    tag_left = tag_size(o->kind_);
    tcp.data = this;
  }

  void write(Bytes data) {
    if (closing || data.empty()) return;
    answers.append(data);
    flush();
  }
  void flush() { answers.flush(reinterpret_cast<uv_stream_t*>(&tcp)); }

  void close() {
    if (closing) return;
    closing = true;
    ++owner->closed;
    std::erase(owner->conns_, this);
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp),
             [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
  }

  void start_reading() {
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&tcp),
        [](uv_handle_t* h, size_t, uv_buf_t* out) {
          auto* c = static_cast<Conn*>(h->data);
          *out = uv_buf_init(c->buf.data(), unsigned(c->buf.size()));
        },
        [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
          static_cast<Conn*>(s->data)->on_read(n, b);
        });
  }

  void on_read(ssize_t n, const uv_buf_t* b) {
    if (n < 0) {
      close();
      return;
    }
    owner->bytes_read += size_t(n);
    MutableByteView bytes(reinterpret_cast<uint8_t*>(b->base), size_t(n));
    size_t skip = std::min(tag_left, bytes.size());
    tag_left -= skip;
    bytes = bytes.subspan(skip);
    if (bytes.empty()) return;
    if (stack->feed(bytes, *this) != codecs::CodecError::kNone) close();
  }

  bool on_packet(MutableByteView payload, bool quick_ack) override {
    ++owner->packets;
    owner->quick_acks.push_back(quick_ack);
    Bytes out;
    if (payload.size() >= 4 && std::memcmp(payload.data(), "EROR", 4) == 0) {
      stack->write_transport_error(-404, out);
      write(std::move(out));
      return true;
    }
    if (payload.size() >= 4 && std::memcmp(payload.data(), "CLOS", 4) == 0) {
      close();
      return false;
    }
    if (quick_ack) stack->write_quick_ack(token_for(payload), out);
    Bytes reversed(payload.rbegin(), payload.rend());
    stack->write_packet(reversed, false, out);
    write(std::move(out));
    return true;
  }
};

void flush_answers(uv_stream_t* stream, size_t) {
  static_cast<TestUpstream::Conn*>(stream->data)->flush();
}

TestUpstream::TestUpstream(uv_loop_t* loop, codecs::TransportKind kind) : loop_(loop), kind_(kind) {
  uv_tcp_init(loop_, &server_);
  server_.data = this;
  sockaddr_in addr{};
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_bind(&server_, reinterpret_cast<const sockaddr*>(&addr), 0);
  uv_listen(reinterpret_cast<uv_stream_t*>(&server_), 64, on_connection);
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&server_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

TestUpstream::~TestUpstream() = default;

void TestUpstream::close() {
  auto conns = conns_;
  for (Conn* c : conns) c->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&server_), nullptr);
}

void TestUpstream::set_reading(bool reading) {
  reading_ = reading;
  for (Conn* c : conns_) {
    if (reading) {
      c->start_reading();
    } else {
      uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->tcp));
    }
  }
}

void TestUpstream::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<TestUpstream*>(server->data);
  if (status < 0) return;
  auto* c = new Conn(self);
  uv_tcp_init(self->loop_, &c->tcp);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp),
             [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
    return;
  }
  ++self->accepted;
  self->conns_.push_back(c);
  if (self->reading_) c->start_reading();
}

uint16_t refused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // bound but never listening, now closed: connecting is refused
  return ntohs(addr.sin_port);
}

}  // namespace mtedge::backend::relay::testing
