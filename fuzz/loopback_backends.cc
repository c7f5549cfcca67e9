#include "fuzz/loopback_backends.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "backend-adapters/socket/protocol.h"
#include "codecs/framers/framers.h"

namespace mtedge::fuzzing {

namespace {

[[noreturn]] void setup_failed(const char* what, int rc) {
  std::fprintf(stderr, "loopback backend: %s: %s\n", what, uv_strerror(rc));
  std::abort();
}

struct WriteRequest {
  uv_write_t req;
  Bytes data;
};

// Whole 32-bit words, at least one: what every framer carries.
Bytes words(FuzzInput& in, size_t count) {
  Bytes out = in.take(4 * count);
  out.resize(4 * std::max<size_t>(1, (out.size() + 3) / 4));
  return out;
}

int32_t transport_error_code(FuzzInput& in) {
  switch (in.byte() & 3) {
    case 0: return -404;
    case 1: return -429;
    case 2: return -444;
    default: return static_cast<int32_t>(in.u32());
  }
}

}  // namespace

// ---- LoopbackServer ------------------------------------------------------------------------

struct LoopbackServer::Peer {
  uv_tcp_t tcp;
  LoopbackServer* owner = nullptr;
  int index = 0;
  bool open = true;
  bool reading = true;
};

LoopbackServer::LoopbackServer(uv_loop_t* loop) : loop_(loop) {
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
  ++handles_;
  sockaddr_in any{};
  uv_ip4_addr("127.0.0.1", 0, &any);
  int rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&any), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 16, on_connection);
  if (rc != 0) setup_failed("listen on 127.0.0.1", rc);
  listening_ = true;
  int len = sizeof address_;
  uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&address_), &len);
}

LoopbackServer::~LoopbackServer() {
  if (!idle()) {
    std::fprintf(stderr, "loopback backend destroyed with %d handles open\n", handles_);
    std::abort();
  }
}

void LoopbackServer::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<LoopbackServer*>(server->data);
  if (status < 0 || !self->listening_) return;
  auto peer = std::make_unique<Peer>();
  peer->owner = self;
  peer->index = static_cast<int>(self->peers_.size());
  uv_tcp_init(self->loop_, &peer->tcp);
  peer->tcp.data = peer.get();
  ++self->handles_;
  Peer& p = *peer;
  self->peers_.push_back(std::move(peer));
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&p.tcp)) != 0) {
    self->close_peer(p.index);
    return;
  }
  p.reading = false;
  self->on_accepted(p.index);
  self->toggle_reading(p.index);
}

int LoopbackServer::pick(uint8_t selector) const {
  if (peers_.empty()) return -1;
  return static_cast<int>(peers_.size() - 1 - selector % peers_.size());
}

bool LoopbackServer::open(int peer) const {
  return peer >= 0 && static_cast<size_t>(peer) < peers_.size() && peers_[peer]->open;
}

void LoopbackServer::write(int peer, Bytes bytes) {
  if (!open(peer) || bytes.empty()) return;
  auto* request = new WriteRequest{{}, std::move(bytes)};
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(request->data.data()),
                             static_cast<unsigned>(request->data.size()));
  int rc = uv_write(&request->req, reinterpret_cast<uv_stream_t*>(&peers_[peer]->tcp), &buf, 1,
                    [](uv_write_t* req, int) { delete reinterpret_cast<WriteRequest*>(req); });
  if (rc != 0) delete request;
}

void LoopbackServer::close_peer(int peer) {
  if (!open(peer)) return;
  Peer& p = *peers_[peer];
  p.open = false;
  uv_close(reinterpret_cast<uv_handle_t*>(&p.tcp),
           [](uv_handle_t* h) { --static_cast<Peer*>(h->data)->owner->handles_; });
}

void LoopbackServer::toggle_reading(int peer) {
  if (!open(peer)) return;
  Peer& p = *peers_[peer];
  auto* stream = reinterpret_cast<uv_stream_t*>(&p.tcp);
  p.reading = !p.reading;
  if (!p.reading) {
    uv_read_stop(stream);
    return;
  }
  uv_read_start(
      stream,
      [](uv_handle_t*, size_t, uv_buf_t* buf) {
        static char buffer[64 * 1024];
        *buf = uv_buf_init(buffer, sizeof buffer);
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
        auto* self = static_cast<Peer*>(s->data);
        if (nread < 0) {
          self->owner->close_peer(self->index);
        } else if (nread > 0) {
          self->owner->on_bytes(self->index, ByteView(reinterpret_cast<const uint8_t*>(buf->base),
                                                      static_cast<size_t>(nread)));
        }
      });
}

void LoopbackServer::close() {
  if (listening_) {
    listening_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_),
             [](uv_handle_t* h) { --static_cast<LoopbackServer*>(h->data)->handles_; });
  }
  for (size_t i = 0; i < peers_.size(); ++i) close_peer(static_cast<int>(i));
}

// ---- RelayUpstream -------------------------------------------------------------------------

// What one upstream connection received: the tag, then packets matched against the clients'.
struct RelayUpstream::Reader final : codecs::FrameSink {
  RelayUpstream* owner = nullptr;
  Bytes tag;            // the transport's tag, as a client-role framer writes it
  size_t tag_seen = 0;  // bytes of it received
  size_t packets = 0;
  // The client connections whose first `packets` packets are the ones received (all, before
  // the first packet).
  std::set<backend::ConnId> candidates;
  bool on_packet(MutableByteView payload, bool) override {
    std::set<backend::ConnId> still;
    for (const auto& [conn, sent] : owner->expected_) {
      if (packets > 0 && !candidates.contains(conn)) continue;
      if (sent.size() > packets &&
          std::equal(payload.begin(), payload.end(), sent[packets].begin(), sent[packets].end())) {
        still.insert(conn);
      }
    }
    if (still.empty()) breach("a packet no client sent in that place");
    candidates = std::move(still);
    ++packets;
    return true;
  }
  [[noreturn]] static void breach(const char* what) {
    std::fprintf(stderr, "relay upstream: the relay wrote %s\n", what);
    std::abort();
  }
};

RelayUpstream::RelayUpstream(uv_loop_t* loop, codecs::TransportKind kind)
    : LoopbackServer(loop), kind_(kind) {}

RelayUpstream::~RelayUpstream() = default;

void RelayUpstream::expect(backend::ConnId conn, ByteView packet) {
  expected_[conn].emplace_back(packet.begin(), packet.end());
}

void RelayUpstream::on_accepted(int peer) {
  stacks_.resize(static_cast<size_t>(peer) + 1);
  stacks_[peer] = std::make_unique<codecs::TransportStack>(
      codecs::make_framer(kind_, codecs::Role::kServer, 7), codecs::FrameLimits{});
  readers_.resize(static_cast<size_t>(peer) + 1);
  readers_[peer] = std::make_unique<Reader>();
  readers_[peer]->owner = this;
  codecs::make_framer(kind_, codecs::Role::kClient)->encode_tag(readers_[peer]->tag);
}

void RelayUpstream::on_bytes(int peer, ByteView bytes) {
  Reader& reader = *readers_[peer];
  while (reader.tag_seen < reader.tag.size() && !bytes.empty()) {
    if (bytes[0] != reader.tag[reader.tag_seen++]) Reader::breach("a wrong transport tag");
    bytes = bytes.subspan(1);
  }
  Bytes copy(bytes.begin(), bytes.end());
  if (stacks_[peer]->feed(copy, reader) != codecs::CodecError::kNone) {
    Reader::breach("a stream its upstream transport cannot parse");
  }
}

void RelayUpstream::answer(uint8_t selector, FuzzInput& in) {
  const int peer = pick(selector);
  // The input is read the same way whether or not the connection is open.
  codecs::TransportStack scratch(codecs::make_framer(kind_, codecs::Role::kServer), {});
  codecs::TransportStack& stack = open(peer) ? *stacks_[peer] : scratch;
  Bytes out;
  switch (in.byte() % 5) {
    case 0: stack.write_packet(words(in, in.byte()), false, out); break;
    case 1: {  // larger than the relay's max_frame_bytes: an upstream protocol error
      Bytes big = words(in, 4);
      big.resize(8192 + 4 * size_t(in.byte()));
      stack.write_packet(big, false, out);
      break;
    }
    case 2: stack.write_quick_ack(in.u32() | 0x80000000u, out); break;
    case 3: stack.write_transport_error(transport_error_code(in), out); break;
    default: out = in.take(in.byte()); break;
  }
  write(peer, std::move(out));
}

// ---- SocketEndpoint ------------------------------------------------------------------------

namespace v1 = backend::socket::v1;

// What the backend knows of one accepted stream, and the checks of what the gateway writes
// on it (docs/protocol.md "Ordering" and "Flow control"): Hello first; a connection's frames
// only between its conn_opened and its conn_closed; no more frames than the credit granted.
struct SocketEndpoint::Session final : backend::socket::MessageSink {
  backend::socket::DelimitedReader reader{1u << 20};
  uint64_t credit = 0;       // messages this backend may still send that cost credit
  uint64_t granted = 0;      // frames this backend allowed (HelloAck and credit it sent)
  bool grants_known = true;  // false once raw bytes (which may grant credit) were sent
  uint64_t frames = 0;       // frames the gateway wrote
  bool hello = false;
  std::set<backend::ConnId> open;  // between conn_opened and conn_closed
  bool on_message(ByteView bytes) override {
    v1::GatewayMessage message;
    if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      breach("a message that does not parse", 0);
    }
    if (hello == message.has_hello()) breach("Hello not first, or twice", 0);
    hello = true;
    switch (message.kind_case()) {
      case v1::GatewayMessage::kHello: credit += message.hello().initial_credit(); break;
      case v1::GatewayMessage::kCredit: credit += message.credit().messages(); break;
      case v1::GatewayMessage::kConnOpened:
        if (!open.insert(message.conn_opened().info().conn_id()).second) {
          breach("conn_opened for an open connection", message.conn_opened().info().conn_id());
        }
        break;
      case v1::GatewayMessage::kConnClosed:
        if (open.erase(message.conn_closed().conn_id()) == 0) {
          breach("conn_closed for a connection not open", message.conn_closed().conn_id());
        }
        break;
      case v1::GatewayMessage::kFrame:
        if (!open.contains(message.frame().conn_id())) {
          breach("a frame outside conn_opened .. conn_closed", message.frame().conn_id());
        }
        if (++frames > granted && grants_known) breach("a frame beyond the credit granted", 0);
        break;
      default: break;
    }
    return true;
  }
  // What the backend sends: the credit it grants.
  void sent(const v1::BackendMessage& message) {
    if (message.has_hello()) granted += message.hello().initial_credit();
    if (message.has_credit()) granted += message.credit().messages();
  }
  [[noreturn]] static void breach(const char* what, backend::ConnId conn) {
    std::fprintf(stderr, "socket backend: the gateway wrote %s (conn %#llx)\n", what,
                 static_cast<unsigned long long>(conn));
    std::abort();
  }
};

SocketEndpoint::SocketEndpoint(uv_loop_t* loop, const std::vector<backend::ConnId>& conn_ids)
    : LoopbackServer(loop), conn_ids_(conn_ids) {}

SocketEndpoint::~SocketEndpoint() = default;

void SocketEndpoint::on_accepted(int peer) {
  sessions_.resize(static_cast<size_t>(peer) + 1);
  sessions_[peer] = std::make_unique<Session>();
}

void SocketEndpoint::on_bytes(int peer, ByteView bytes) {
  Session& session = *sessions_[peer];
  // The gateway speaks the protocol: a stream this backend cannot read is a finding.
  if (session.reader.feed(bytes, session) != backend::socket::DelimitedError::kNone) {
    Session::breach("a malformed stream", 0);
  }
}

// A connection id the gateway opened (possibly closed since), or one it never did.
backend::ConnId SocketEndpoint::target(FuzzInput& in) const {
  const uint8_t pick = in.byte();
  if ((pick & 0x80) != 0 || conn_ids_.empty()) return backend::make_conn_id(0, 1000 + pick);
  return conn_ids_[conn_ids_.size() - 1 - pick % conn_ids_.size()];
}

// Kinds: HelloAck (version, auth-key-created, initial credit), a frame to a connection (a
// packet or a message to encrypt), a frame to a session, a quick ack, a transport error, a
// close, credit, raw bytes.
void SocketEndpoint::answer(uint8_t selector, bool beyond_credit, FuzzInput& in) {
  const int peer = pick(selector);
  const uint8_t kind = in.byte();
  v1::BackendMessage m;
  switch (kind % 9) {
    case 0: {
      const uint8_t flags = in.byte();
      v1::HelloAck* hello = m.mutable_hello();
      hello->set_version((flags & 3) == 3 ? 2 : backend::socket::kProtocolVersion);
      hello->set_backend_id("loopback");
      if (flags & 4) hello->add_capabilities(backend::socket::kAuthKeyCreatedCapability);
      hello->set_initial_credit(in.byte());
      break;
    }
    case 1:
    case 2:
    case 3: {
      v1::ServerFrame* frame = m.mutable_frame();
      if (kind % 9 == 3) {
        frame->mutable_session()->set_auth_key_id(in.u64());
        frame->mutable_session()->set_session_id(in.byte() & 7);
      } else {
        frame->set_conn_id(target(in));
      }
      frame->set_ref(kind);
      if (kind % 9 == 2) {
        v1::DecryptedMessage* message = frame->mutable_message();
        message->set_salt(static_cast<int64_t>(in.u64()));
        message->set_session_id(in.byte() & 7);
        message->set_msg_id(static_cast<int64_t>(in.u64()));
        message->set_seq_no(in.byte());
        Bytes body = words(in, in.byte());
        message->set_body(body.data(), body.size());
      } else {
        Bytes packet = words(in, in.byte());
        frame->set_packet(packet.data(), packet.size());
      }
      break;
    }
    case 4:
      m.mutable_quick_ack()->set_conn_id(target(in));
      m.mutable_quick_ack()->set_token(in.u32());
      break;
    case 5:
      m.mutable_transport_error()->set_conn_id(target(in));
      m.mutable_transport_error()->set_code(transport_error_code(in));
      break;
    case 6:
      m.mutable_close()->set_conn_id(target(in));
      m.mutable_close()->set_reason("loopback");
      break;
    case 7: m.mutable_credit()->set_messages(in.byte()); break;
    default:
      if (open(peer)) sessions_[peer]->grants_known = false;
      write(peer, in.take(in.byte()));
      return;
  }
  if (!open(peer)) return;
  Session& session = *sessions_[peer];
  if (backend::socket::costs_credit(m)) {
    if (session.credit == 0 && !beyond_credit) return;
    if (session.credit > 0) --session.credit;
  }
  session.sent(m);
  Bytes out;
  backend::socket::append_delimited(m, out);
  write(peer, std::move(out));
}

}  // namespace mtedge::fuzzing
