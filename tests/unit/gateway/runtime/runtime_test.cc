// The gateway runtime in-process: a real Gateway on a loopback port chosen by the kernel,
// an echo adapter defined here, and clients speaking intermediate over real sockets.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "base/bytes.h"
#include "gateway/admin/gateway_views.h"
#include "gateway/admin/server.h"
#include "gateway/conn/connection.h"
#include "gateway/runtime/gateway.h"

namespace mtedge::gateway {
namespace {

using mtedge::Bytes;
using Clock = std::chrono::steady_clock;

// What the echo adapters saw, across workers.
struct EchoLog {
  std::atomic<int> opens{0};
  std::atomic<int> closes{0};
  std::atomic<int> frames{0};
  std::atomic<int> quick_acks{0};
  std::atomic<int> encrypted{0};
  std::atomic<uint64_t> last_auth_key_id{0};
  std::mutex mu;
  std::vector<backend::CloseReason> close_reasons;
  std::vector<std::string> transports;
};

// Sends every packet back; a packet whose client asked for a quick ack first gets the
// token 0x80000000 | payload size.
class EchoAdapter : public backend::BackendAdapter {
 public:
  EchoAdapter(const backend::AdapterContext& ctx, EchoLog& log) : ctx_(ctx), log_(log) {}
  void on_open(const backend::ConnInfo& info) override {
    ++log_.opens;
    std::lock_guard lock(log_.mu);
    log_.transports.push_back(backend::transport_path(info) + "@" + info.listener + "@" +
                              info.client_ip);
  }
  bool on_frame(const backend::Frame& frame) override {
    ++log_.frames;
    if (frame.kind == backend::FrameKind::kEncrypted) ++log_.encrypted;
    log_.last_auth_key_id = frame.auth_key_id;
    if (frame.quick_ack) {
      ++log_.quick_acks;
      ctx_.sink->send_quick_ack(frame.conn_id, 0x80000000u | uint32_t(frame.packet.size()));
    }
    ctx_.sink->send_packet(frame.conn_id, frame.packet);
    return true;
  }
  void on_close(backend::ConnId, backend::CloseReason reason) override {
    ++log_.closes;
    std::lock_guard lock(log_.mu);
    log_.close_reasons.push_back(reason);
  }

 private:
  backend::AdapterContext ctx_;
  EchoLog& log_;
};

Config make_config(EchoLog& log, unsigned workers = 1) {
  Config c;
  c.gateway.workers = workers;
  c.gateway.first_byte_timeout_ms = 5000;
  c.gateway.detect_timeout_ms = 5000;
  c.gateway.shutdown_timeout_ms = 2000;
  ListenerConfig l;
  l.name = "test";
  l.address_text = "127.0.0.1:0";
  l.address = parse_address(l.address_text).value();
  l.transports = {codecs::TransportKind::kAbridged, codecs::TransportKind::kIntermediate,
                  codecs::TransportKind::kPaddedIntermediate, codecs::TransportKind::kFull};
  c.listeners.push_back(l);
  c.backend_type = "echo";
  c.make_adapter = [&log](const backend::AdapterContext& ctx) {
    return std::make_unique<EchoAdapter>(ctx, log);
  };
  return c;
}

// A blocking client socket with a receive timeout.
class Client {
 public:
  explicit Client(uint16_t port, bool v6 = false) {
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      a.sin6_addr = in6addr_loopback;
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
  }
  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  void send(const Bytes& b) {
    ASSERT_EQ(::send(fd_, b.data(), b.size(), MSG_NOSIGNAL), ssize_t(b.size()));
  }
  void send_bytewise(const Bytes& b) {
    for (uint8_t byte : b) {
      ASSERT_EQ(::send(fd_, &byte, 1, MSG_NOSIGNAL), 1);
    }
  }
  // Reads exactly n bytes; false on close, error or timeout.
  bool recv_exact(size_t n, Bytes& out) {
    out.resize(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) return false;
      got += size_t(r);
    }
    return true;
  }
  // True when the server closes within `timeout` (EOF or reset), ignoring pending data.
  bool closed_within(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    uint8_t buf[4096];
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      int ms = int(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      if (::poll(&p, 1, std::max(ms, 1)) <= 0) continue;
      ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
      if (r <= 0) return true;
    }
    return false;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

Bytes intermediate_tag() {
  return {0xee, 0xee, 0xee, 0xee};
}

Bytes intermediate_frame(const Bytes& payload, bool quick_ack = false) {
  Bytes out;
  append_le32(out, uint32_t(payload.size()) | (quick_ack ? 0x80000000u : 0));
  append(out, payload);
  return out;
}

// An MTProto-like packet: auth_key_id then filler, `size` bytes (multiple of 4).
Bytes packet(uint64_t auth_key_id, size_t size, uint8_t fill = 0x5a) {
  Bytes p(size, fill);
  for (int i = 0; i < 8; ++i) p[size_t(i)] = uint8_t(auth_key_id >> (8 * i));
  for (size_t i = 8; i < size; ++i) p[i] = uint8_t(fill + i);
  return p;
}

// Reads one intermediate frame and returns its payload (empty on failure).
Bytes read_frame(Client& c) {
  Bytes len;
  if (!c.recv_exact(4, len)) return {};
  Bytes payload;
  if (!c.recv_exact(load_le32(len.data()), payload)) return {};
  return payload;
}

// A connection's first write: the intermediate tag and one frame.
Bytes first_frame(const Bytes& payload, bool quick_ack = false) {
  Bytes out = intermediate_tag();
  append(out, intermediate_frame(payload, quick_ack));
  return out;
}

// Opens an intermediate connection with one frame and expects the echo.
void open_and_echo(Client& c, const Bytes& payload) {
  c.send(first_frame(payload));
  EXPECT_EQ(read_frame(c), payload);
}

// Opens `c` and echoes a packet on it every `gap`, four times.
void echo_every(Client& c, std::chrono::milliseconds gap) {
  open_and_echo(c, packet(1, 16));
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(gap);
    c.send(intermediate_frame(packet(1, 16)));
    ASSERT_EQ(read_frame(c), packet(1, 16));
  }
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

TEST(GatewayRuntime, ConnectionIsSmall) {
  // Per idle connection: this object plus the map entry and the codec objects (framer,
  // ~100 bytes); no read buffer (the worker's is shared), no write buffer when drained.
  RecordProperty("sizeof_Connection", std::to_string(sizeof(Connection)));
  std::printf("sizeof(Connection) = %zu bytes\n", sizeof(Connection));
  EXPECT_LE(sizeof(Connection), 640u);  // 640 on x86-64 with libstdc++ 12 and libuv 1.44
}

TEST(GatewayRuntime, EchoesIntermediateFrames) {
  EchoLog log;
  Gateway gw(make_config(log, 2));
  ASSERT_TRUE(gw.start().is_ok());
  const uint16_t port = gw.bound_port(0);
  ASSERT_NE(port, 0);

  Client c(port);
  ASSERT_TRUE(c.connected());
  open_and_echo(c, packet(0, 40));
  EXPECT_EQ(log.encrypted.load(), 0);

  // Encrypted: auth_key_id from the first 8 bytes, little-endian.
  c.send(intermediate_frame(packet(0x1122334455667788ull, 64)));
  EXPECT_EQ(read_frame(c), packet(0x1122334455667788ull, 64));
  EXPECT_EQ(log.encrypted.load(), 1);
  EXPECT_EQ(log.last_auth_key_id.load(), 0x1122334455667788ull);

  // Many frames in one write, then one frame byte by byte, then a large one.
  Bytes many;
  for (int i = 0; i < 50; ++i)
    append(many, intermediate_frame(packet(7, 16 + 4 * size_t(i), uint8_t(i))));
  c.send(many);
  for (int i = 0; i < 50; ++i)
    ASSERT_EQ(read_frame(c), packet(7, 16 + 4 * size_t(i), uint8_t(i))) << i;
  c.send_bytewise(intermediate_frame(packet(9, 24)));
  EXPECT_EQ(read_frame(c), packet(9, 24));
  c.send(intermediate_frame(packet(11, 1 << 20)));
  EXPECT_EQ(read_frame(c), packet(11, 1 << 20));

  EXPECT_EQ(log.opens.load(), 1);
  {
    std::lock_guard lock(log.mu);
    ASSERT_EQ(log.transports.size(), 1u);
    EXPECT_EQ(log.transports[0], "intermediate@test@127.0.0.1");
  }
  const MetricsSnapshot m = gw.metrics();
  EXPECT_EQ(m.accepted, 1u);
  EXPECT_EQ(m.active, 1u);
  EXPECT_EQ(m.frames_in, 54u);
  EXPECT_EQ(m.frames_out, 54u);
  EXPECT_EQ(m.detections[codecs::index_of(codecs::TransportKind::kIntermediate)], 1u);
  EXPECT_GT(m.bytes_in, size_t(1) << 20);
  // Written bytes are counted when the write completes, which may trail the client's read.
  EXPECT_TRUE(eventually([&] { return gw.metrics().bytes_out > (size_t(1) << 20); }));
}

TEST(GatewayRuntime, QuickAckFlagReachesAdapterAndTokenComesBack) {
  EchoLog log;
  Gateway gw(make_config(log));
  ASSERT_TRUE(gw.start().is_ok());
  Client c(gw.bound_port(0));
  c.send(first_frame(packet(5, 32), /*quick_ack=*/true));
  // Intermediate sends the token as 4 raw little-endian bytes (its MSB set), then the echo.
  Bytes token;
  ASSERT_TRUE(c.recv_exact(4, token));
  EXPECT_EQ(load_le32(token.data()), 0x80000000u | 32u);
  EXPECT_EQ(read_frame(c), packet(5, 32));
  EXPECT_EQ(log.quick_acks.load(), 1);

  c.send(intermediate_frame(packet(5, 32)));  // no quick ack asked: none sent
  EXPECT_EQ(read_frame(c), packet(5, 32));
  EXPECT_EQ(log.quick_acks.load(), 1);
  EXPECT_EQ(gw.metrics().quick_acks_out, 1u);
}

// With `config` admitting two connections: a third is closed at once and counted by
// `refused`; the first two still work, and after one closes a new connection is admitted.
void expect_two_admitted(Config config, uint64_t MetricsSnapshot::*refused) {
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  const uint16_t port = gw.bound_port(0);

  Client a(port);
  open_and_echo(a, packet(1, 16));
  auto b = std::make_unique<Client>(port);
  open_and_echo(*b, packet(1, 16));
  Client extra(port);
  EXPECT_TRUE(extra.closed_within(std::chrono::milliseconds(3000)));
  EXPECT_EQ(gw.metrics().*refused, 1u);

  a.send(intermediate_frame(packet(1, 16)));
  EXPECT_EQ(read_frame(a), packet(1, 16));
  b.reset();
  ASSERT_TRUE(eventually([&] { return gw.metrics().active == 1; }));
  Client again(port);
  open_and_echo(again, packet(1, 16));
  EXPECT_EQ(gw.metrics().*refused, 1u);
}

TEST(GatewayRuntime, MaxConnectionsClosesTheExtraOnes) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.max_connections = 2;
  expect_two_admitted(std::move(config), &MetricsSnapshot::rejected_max_connections);
}

TEST(GatewayRuntime, FirstByteTimeoutClosesASilentConnection) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.first_byte_timeout_ms = 200;
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  Client silent(gw.bound_port(0));
  const auto start = Clock::now();
  EXPECT_TRUE(silent.closed_within(std::chrono::milliseconds(4000)));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(150));
  ASSERT_TRUE(
      eventually([&] { return gw.metrics().closed_by(backend::CloseReason::kTimeout) == 1; }));
  EXPECT_EQ(gw.metrics().gateway_error(GatewayError::kDetectTimeout), 1u);
  EXPECT_EQ(log.opens.load(), 0);  // never detected: the adapter never heard of it
}

TEST(GatewayRuntime, IdleTimeoutClosesAQuietConnection) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.idle_timeout_ms = 600;
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  Client c(gw.bound_port(0));
  // Traffic keeps it open past one timeout period...
  echo_every(c, std::chrono::milliseconds(150));
  // ...silence closes it.
  EXPECT_TRUE(c.closed_within(std::chrono::milliseconds(3000)));
  ASSERT_TRUE(eventually([&] { return log.closes.load() == 1; }));
  std::lock_guard lock(log.mu);
  EXPECT_EQ(log.close_reasons[0], backend::CloseReason::kTimeout);
}

TEST(GatewayRuntime, GarbageIsClosedWhileAnotherConnectionKeepsWorking) {
  EchoLog log;
  Gateway gw(make_config(log, 2));
  ASSERT_TRUE(gw.start().is_ok());
  const uint16_t port = gw.bound_port(0);

  Client good(port);
  open_and_echo(good, packet(3, 20));

  Client garbage(port);
  std::mt19937 rng(1234);
  Bytes junk(64);
  for (auto& b : junk) b = uint8_t(rng());
  junk[0] = 0x42;  // not a tag
  junk[4] = 0x01;  // not full
  garbage.send(junk);
  EXPECT_TRUE(garbage.closed_within(std::chrono::milliseconds(4000)));

  // An intermediate frame above the size cap gets the transport's -429, then a close.
  Client oversize(port);
  Bytes big = intermediate_tag();
  append_le32(big, 64u << 20);
  oversize.send(big);
  Bytes error;
  ASSERT_TRUE(oversize.recv_exact(8, error));
  EXPECT_EQ(error, (Bytes{0x04, 0, 0, 0, 0x53, 0xfe, 0xff, 0xff}));
  EXPECT_TRUE(oversize.closed_within(std::chrono::milliseconds(3000)));

  // A packet too short for an auth_key_id gets -404, then a close.
  Client short_packet(port);
  Bytes tiny = intermediate_tag();
  append(tiny, intermediate_frame(Bytes{1, 2, 3, 4}));
  short_packet.send(tiny);
  ASSERT_TRUE(short_packet.recv_exact(8, error));
  EXPECT_EQ(error, (Bytes{0x04, 0, 0, 0, 0x6c, 0xfe, 0xff, 0xff}));
  EXPECT_TRUE(short_packet.closed_within(std::chrono::milliseconds(3000)));

  good.send(intermediate_frame(packet(3, 24)));
  EXPECT_EQ(read_frame(good), packet(3, 24));

  const MetricsSnapshot m = gw.metrics();
  EXPECT_EQ(m.codec_error(codecs::CodecError::kUnknownTransport), 1u);
  EXPECT_EQ(m.codec_error(codecs::CodecError::kFrameTooLarge), 1u);
  EXPECT_EQ(m.gateway_error(GatewayError::kShortPacket), 1u);
  EXPECT_EQ(m.closed_by(backend::CloseReason::kProtocolError), 3u);
  EXPECT_EQ(m.active, 1u);
}

TEST(GatewayRuntime, OtherPlainTransportsAreDetected) {
  EchoLog log;
  Gateway gw(make_config(log));
  ASSERT_TRUE(gw.start().is_ok());
  const uint16_t port = gw.bound_port(0);

  // Abridged: 0xef, then len/4 in one byte.
  Client ab(port);
  Bytes a = {0xef, 0x04};
  append(a, packet(0, 16));
  ab.send(a);
  Bytes reply;
  ASSERT_TRUE(ab.recv_exact(17, reply));
  EXPECT_EQ(reply[0], 0x04);
  EXPECT_EQ(Bytes(reply.begin() + 1, reply.end()), packet(0, 16));

  // Tag split over two reads: the detector waits for the rest.
  Client split(port);
  split.send(Bytes{0xee, 0xee});
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Bytes rest = {0xee, 0xee};
  append(rest, intermediate_frame(packet(0, 16)));
  split.send(rest);
  EXPECT_EQ(read_frame(split), packet(0, 16));

  const MetricsSnapshot m = gw.metrics();
  EXPECT_EQ(m.detections[codecs::index_of(codecs::TransportKind::kAbridged)], 1u);
  EXPECT_EQ(m.detections[codecs::index_of(codecs::TransportKind::kIntermediate)], 1u);
}

TEST(GatewayRuntime, Ipv6ListenerAndSeveralListeners) {
  EchoLog log;
  Config config = make_config(log);
  ListenerConfig v6;
  v6.name = "v6";
  v6.address_text = "[::1]:0";
  v6.address = parse_address(v6.address_text).value();
  v6.transports = config.listeners[0].transports;
  config.listeners.push_back(v6);
  Gateway gw(std::move(config));
  Status s = gw.start();
  if (!s) GTEST_SKIP() << "no IPv6 loopback here: " << s.message();
  Client c6(gw.bound_port(1), /*v6=*/true);
  ASSERT_TRUE(c6.connected());
  open_and_echo(c6, packet(0, 16));
  Client c4(gw.bound_port(0));
  open_and_echo(c4, packet(0, 16));
}

TEST(GatewayRuntime, BindConflictFailsStart) {
  EchoLog log;
  Config config = make_config(log);
  config.listeners.push_back(config.listeners[0]);
  config.listeners[1].name = "second";
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // a plain (no SO_REUSEPORT) holder of a port
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::listen(fd, 1);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  config.listeners[1].address.set_port(ntohs(a.sin_port));
  Gateway gw(std::move(config));
  Status s = gw.start();
  ASSERT_FALSE(s.is_ok());
  EXPECT_NE(
      s.message().find("listener[1] (second): 127.0.0.1:" + std::to_string(ntohs(a.sin_port)) +
                       " is already bound by another process"),
      std::string::npos)
      << s.message();
  ::close(fd);
}

TEST(GatewayRuntime, ShutdownClosesConnectionsAndFinishes) {
  EchoLog log;
  Config config = make_config(log, 2);
  config.gateway.shutdown_timeout_ms = 10000;
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  Client c(gw.bound_port(0));
  open_and_echo(c, packet(0, 16));
  Client undecided(gw.bound_port(0));
  undecided.send(Bytes{0xee});
  ASSERT_TRUE(eventually([&] { return gw.metrics().active == 2; }));

  const auto start = Clock::now();
  gw.begin_shutdown();
  gw.wait();
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(5000));  // well before the deadline
  EXPECT_TRUE(c.closed_within(std::chrono::milliseconds(1000)));
  EXPECT_TRUE(undecided.closed_within(std::chrono::milliseconds(1000)));
  EXPECT_EQ(log.closes.load(), 1);
  {
    std::lock_guard lock(log.mu);
    EXPECT_EQ(log.close_reasons[0], backend::CloseReason::kShutdown);
  }
  EXPECT_EQ(gw.metrics().closed_by(backend::CloseReason::kShutdown), 2u);
  EXPECT_EQ(gw.metrics().active, 0u);
  Client late(gw.bound_port(0));
  EXPECT_FALSE(late.connected());
}

// An adapter that never finishes stopping: the deadline closes connections anyway.
class StubbornAdapter : public EchoAdapter {
 public:
  using EchoAdapter::EchoAdapter;
  void stop(std::function<void()>) override {}
};

TEST(GatewayRuntime, ShutdownDeadlineForcesClose) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.shutdown_timeout_ms = 300;
  config.make_adapter = [&log](const backend::AdapterContext& ctx) {
    return std::make_unique<StubbornAdapter>(ctx, log);
  };
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  Client c(gw.bound_port(0));
  open_and_echo(c, packet(0, 16));
  const auto start = Clock::now();
  gw.begin_shutdown();
  gw.wait();
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(250));
  EXPECT_TRUE(c.closed_within(std::chrono::milliseconds(1000)));
  EXPECT_EQ(log.closes.load(), 1);
}

// Pauses after every frame and resumes from a posted task: backpressure round trip.
class PausingAdapter : public backend::BackendAdapter {
 public:
  PausingAdapter(const backend::AdapterContext& ctx, std::atomic<int>& frames)
      : ctx_(ctx), frames_(frames) {}
  void on_open(const backend::ConnInfo&) override {}
  bool on_frame(const backend::Frame& frame) override {
    ++frames_;
    ctx_.sink->send_packet(frame.conn_id, frame.packet);
    const backend::ConnId id = frame.conn_id;
    auto* sink = ctx_.sink;
    ctx_.post(ctx_.worker, [sink, id] { sink->resume_reading(id); });
    return false;
  }
  void on_close(backend::ConnId, backend::CloseReason) override {}

 private:
  backend::AdapterContext ctx_;
  std::atomic<int>& frames_;
};

TEST(GatewayRuntime, PausedReadingResumesThroughPost) {
  std::atomic<int> frames{0};
  EchoLog log;
  Config config = make_config(log);
  config.make_adapter = [&frames](const backend::AdapterContext& ctx) {
    return std::make_unique<PausingAdapter>(ctx, frames);
  };
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  Client c(gw.bound_port(0));
  c.send(intermediate_tag());
  for (int i = 0; i < 20; ++i) {
    c.send(intermediate_frame(packet(1, 16, uint8_t(i))));
    ASSERT_EQ(read_frame(c), packet(1, 16, uint8_t(i))) << i;
  }
  EXPECT_EQ(frames.load(), 20);
}

// Writes many large replies to a client that does not read: the outbound cap closes it.
class FloodAdapter : public backend::BackendAdapter {
 public:
  explicit FloodAdapter(const backend::AdapterContext& ctx) : ctx_(ctx) {}
  void on_open(const backend::ConnInfo&) override {}
  bool on_frame(const backend::Frame& frame) override {
    Bytes big(256 << 10, 0x11);
    for (int i = 0; i < 200; ++i) {
      if (!ctx_.sink->send_packet(frame.conn_id, big)) ++refused;
    }
    return true;
  }
  void on_close(backend::ConnId, backend::CloseReason reason) override { last_reason = reason; }
  backend::AdapterContext ctx_;
  int refused = 0;
  backend::CloseReason last_reason = backend::CloseReason::kPeerClosed;
};

TEST(GatewayRuntime, OutboundLimitClosesTheConnection) {
  EchoLog log;
  Config config = make_config(log);
  config.make_adapter = [](const backend::AdapterContext& ctx) {
    return std::make_unique<FloodAdapter>(ctx);
  };
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  Client c(gw.bound_port(0));
  c.send(first_frame(packet(1, 16)));
  ASSERT_TRUE(
      eventually([&] { return gw.metrics().closed_by(backend::CloseReason::kLimit) == 1; }));
  EXPECT_EQ(gw.metrics().gateway_error(GatewayError::kOutboundLimit), 1u);
}

// ---- admission --------------------------------------------------------------------------

// Sends one byte to each socket every `period` until stopped: a frame that never completes.
class Trickler {
 public:
  Trickler(std::vector<Client*> clients, std::chrono::milliseconds period)
      : thread_([this, clients, period] {
          while (!stop_) {
            for (Client* c : clients) ::send(c->fd(), "\x01", 1, MSG_NOSIGNAL);
            std::this_thread::sleep_for(period);
          }
        }) {}
  ~Trickler() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// An intermediate connection whose first frame announces `size` bytes and never completes.
Bytes incomplete_first_frame(uint32_t size) {
  Bytes out = intermediate_tag();
  append_le32(out, size);
  return out;
}

// The review's reproducer: clients that trickle one byte at a time into a frame that never
// completes held every slot for as long as they kept trickling.
TEST(GatewayAdmission, TricklingClientsDoNotHoldEverySlot) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.max_connections = 3;
  config.gateway.idle_timeout_ms = 1000;
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  const uint16_t port = gw.bound_port(0);
  std::vector<std::unique_ptr<Client>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::make_unique<Client>(port));
    slow.back()->send(incomplete_first_frame(1u << 20));
  }
  Trickler trickle({slow[0].get(), slow[1].get(), slow[2].get()}, std::chrono::milliseconds(500));
  ASSERT_TRUE(eventually([&] { return gw.metrics().active == 3; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the idle timeout
  Client fresh(port);
  open_and_echo(fresh, packet(1, 16));
}

// Without edge decryption the echo of an encrypted packet authenticates a connection:
// `authed` sent one, `plain` only an unencrypted packet.
struct AuthedAndPlain {
  explicit AuthedAndPlain(uint16_t port) : authed(port), plain(port) {
    open_and_echo(authed, packet(7, 16));
    open_and_echo(plain, packet(0, 16));
  }
  Client authed;
  Client plain;
};

TEST(GatewayAdmission, OldestUnauthenticatedIsEvictedAtMaxConnections) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.max_connections = 2;
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  const uint16_t port = gw.bound_port(0);
  AuthedAndPlain two(port);
  Client& authed = two.authed;
  Client& plain = two.plain;
  Client fresh(port);
  open_and_echo(fresh, packet(0, 16));
  EXPECT_TRUE(plain.closed_within(std::chrono::milliseconds(3000)));
  EXPECT_EQ(gw.metrics().evicted_unauthenticated, 1u);
  EXPECT_EQ(gw.metrics().rejected_max_connections, 0u);
  authed.send(intermediate_frame(packet(7, 16)));
  EXPECT_EQ(read_frame(authed), packet(7, 16));
  // `fresh` is not authenticated either and is the oldest such now.
  Client next(port);
  open_and_echo(next, packet(9, 16));
  EXPECT_TRUE(fresh.closed_within(std::chrono::milliseconds(3000)));
  EXPECT_EQ(gw.metrics().evicted_unauthenticated, 2u);
  // Both left are authenticated: a third is refused.
  Client extra(port);
  EXPECT_TRUE(extra.closed_within(std::chrono::milliseconds(3000)));
  EXPECT_EQ(gw.metrics().rejected_max_connections, 1u);
}

TEST(GatewayAdmission, FirstPacketDeadlineIgnoresTrickledBytes) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.first_packet_timeout_ms = 600;
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  Client slow(gw.bound_port(0));
  slow.send(incomplete_first_frame(4096));
  Trickler trickle({&slow}, std::chrono::milliseconds(100));
  EXPECT_TRUE(slow.closed_within(std::chrono::milliseconds(3000)));
  ASSERT_TRUE(eventually(
      [&] { return gw.metrics().gateway_error(GatewayError::kFirstPacketTimeout) == 1; }));
  EXPECT_EQ(gw.metrics().closed_by(backend::CloseReason::kTimeout), 1u);
}

TEST(GatewayAdmission, FrameDeadlineIgnoresTrickledBytes) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.frame_timeout_ms = 800;
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  Client c(gw.bound_port(0));
  // Whole packets keep it open past the deadline...
  echo_every(c, std::chrono::milliseconds(300));
  // ...bytes of a frame that never completes do not.
  Bytes header;
  append_le32(header, 4096);
  c.send(header);
  Trickler trickle({&c}, std::chrono::milliseconds(100));
  EXPECT_TRUE(c.closed_within(std::chrono::milliseconds(3000)));
  ASSERT_TRUE(
      eventually([&] { return gw.metrics().gateway_error(GatewayError::kFrameTimeout) == 1; }));
}

TEST(GatewayAdmission, AuthDeadlineClosesWhatNeverAuthenticates) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.auth_timeout_ms = 700;
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  const uint16_t port = gw.bound_port(0);
  AuthedAndPlain two(port);
  EXPECT_TRUE(two.plain.closed_within(std::chrono::milliseconds(3000)));
  EXPECT_EQ(gw.metrics().gateway_error(GatewayError::kAuthTimeout), 1u);
  two.authed.send(intermediate_frame(packet(7, 16)));
  EXPECT_EQ(read_frame(two.authed), packet(7, 16));
}

TEST(GatewayAdmission, PerSourceCap) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.max_connections_per_source = 2;
  config.gateway.limit_loopback_sources = true;
  expect_two_admitted(std::move(config), &MetricsSnapshot::rejected_per_source);
}

TEST(GatewayAdmission, LoopbackIsNotCappedPerSourceByDefault) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.max_connections_per_source = 1;
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  Client a(gw.bound_port(0));
  open_and_echo(a, packet(1, 16));
  Client b(gw.bound_port(0));
  open_and_echo(b, packet(1, 16));
  EXPECT_EQ(gw.metrics().rejected_per_source, 0u);
}

TEST(GatewayAdmission, MemoryBudgetRefusesNewConnections) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.max_memory_bytes = 1u << 20;
  config.gateway.park_after_ms = 0;  // buffers are released as soon as they drain
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  const uint16_t port = gw.bound_port(0);
  Client big(port);
  open_and_echo(big, packet(1, 16));
  // 2 MiB of a 3 MiB frame wait in the connection's inbound tail.
  const Bytes frame = intermediate_frame(packet(1, 3u << 20));
  big.send(Bytes(frame.begin(), frame.begin() + (2 << 20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Client refused(port);
  EXPECT_TRUE(refused.closed_within(std::chrono::milliseconds(3000)));
  EXPECT_EQ(gw.metrics().rejected_memory, 1u);
  // The frame completes, its echo is read: the budget is free again.
  big.send(Bytes(frame.begin() + (2 << 20), frame.end()));
  EXPECT_EQ(read_frame(big), packet(1, 3u << 20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Client later(port);
  open_and_echo(later, packet(1, 16));
  EXPECT_EQ(gw.metrics().rejected_memory, 1u);
}

TEST(GatewayAdmission, SourceBuckets) {
  auto bucket = [](const char* text) {
    uint8_t bytes[16] = {0};
    const bool v6 = std::strchr(text, ':') != nullptr;
    EXPECT_EQ(inet_pton(v6 ? AF_INET6 : AF_INET, text, bytes), 1) << text;
    return source_bucket(v6 ? AF_INET6 : AF_INET, bytes);
  };
  EXPECT_EQ(bucket("1.2.3.4").to_string(), "1.2.3.4");
  EXPECT_EQ(bucket("::ffff:1.2.3.4"), bucket("1.2.3.4"));
  EXPECT_EQ(bucket("2001:db8:1:2::5").to_string(), "2001:db8:1:2::/64");
  EXPECT_EQ(bucket("2001:db8:1:2:ffff:1:2:3"), bucket("2001:db8:1:2::5"));
  EXPECT_NE(bucket("2001:db8:1:3::5"), bucket("2001:db8:1:2::5"));
  EXPECT_NE(bucket("0.0.0.1"), bucket("::1"));
  EXPECT_FALSE(source_is_limited(bucket("127.0.0.2"), false));
  EXPECT_FALSE(source_is_limited(bucket("::1"), false));
  EXPECT_TRUE(source_is_limited(bucket("::1"), true));
  EXPECT_TRUE(source_is_limited(bucket("10.0.0.1"), false));
}

TEST(GatewayReplay, EachListenerAndKindHasItsOwnCache) {
  EchoLog log;
  Config config = make_config(log);
  config.gateway.replay_max_entries = 64;
  ListenerConfig second = config.listeners[0];
  second.name = "second";
  config.listeners.push_back(second);
  Gateway gw(std::move(config));
  using codecs::TransportKind;
  using codecs::obfuscated::ReplayDigest;
  codecs::obfuscated::ReplayCache& hellos = gw.replay_cache(0, TransportKind::kFakeTls);
  const ReplayDigest hello{1, 2, 3};
  ASSERT_TRUE(hellos.check_and_insert(hello, 0));
  // Anyone can make inits without a secret: a flood of them on this listener's obfuscated2
  // cache and on the other listener's caches evicts nothing here.
  std::mt19937_64 rng(7);
  for (int i = 0; i < 4000; ++i) {
    ReplayDigest d{};
    for (auto& b : d) b = uint8_t(rng());
    EXPECT_TRUE(gw.replay_cache(0, TransportKind::kObfuscated).check_and_insert(d, 0));
    EXPECT_TRUE(gw.replay_cache(1, TransportKind::kFakeTls).check_and_insert(d, 0));
  }
  EXPECT_EQ(&gw.replay_cache(0, TransportKind::kWebSocket),
            &gw.replay_cache(0, TransportKind::kObfuscated));
  EXPECT_NE(&gw.no_secret_replay_cache(0), &gw.replay_cache(0, TransportKind::kObfuscated));
  EXPECT_NE(&gw.no_secret_replay_cache(0), &gw.no_secret_replay_cache(1));
  // The wall clock the callers pass may jump a day: the cache keeps its own time.
  EXPECT_FALSE(hellos.check_and_insert(hello, 86'400));
}

// Connecting to a multicast address fails inside uv_tcp_connect (ENETUNREACH): the link
// reports it from the loop, after the connection has made the link its driver's.
TEST(GatewayRuntime, FrontingThatFailsAtOnceClosesTheClient) {
  EchoLog log;
  Config config = make_config(log);
  config.listeners[0].fronting_text = "224.0.0.1:443";
  config.listeners[0].fronting = parse_address("224.0.0.1:443").value();
  config.gateway.fronting_connect_timeout_ms = 10000;
  Gateway gw(std::move(config));
  ASSERT_TRUE(gw.start().is_ok());
  Client c(gw.bound_port(0));
  c.send(Bytes{'G', 'A', 'R', 'B', 'A', 'G', 'E', '!', 0x01, 0x02, 0x03, 0x04});
  EXPECT_TRUE(c.closed_within(std::chrono::milliseconds(3000)));
  ASSERT_TRUE(eventually([&] { return gw.metrics().active == 0; }));
  EXPECT_EQ(gw.metrics().fronting_by(FrontingOutcome::kSpliced), 1u);
  EXPECT_EQ(gw.metrics().fronting_by(FrontingOutcome::kConnectFailed), 1u);
}

// One request to the management server at `port`; the whole answer (the server closes).
std::string admin_exchange(uint16_t port, const std::string& method, const std::string& target) {
  Client http(port);
  const std::string req = method + " " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
  http.send(Bytes(req.begin(), req.end()));
  std::string answer;
  Bytes chunk;
  while (http.recv_exact(1, chunk)) answer.push_back(char(chunk[0]));
  return answer;
}

struct AdminFixture {
  explicit AdminFixture(Gateway& gw)
      : views(
            gw, admin::ProcessInfo{"0.0.0", "test", "", ""}, [&gw] { gw.begin_shutdown(); },
            counters),
        server(admin::ServerOptions{parse_address("127.0.0.1:0").value(),
                                    {{parse_cidr("127.0.0.0/8").value()}, "", false},
                                    4},
               views, counters) {}
  admin::Counters counters;
  admin::GatewayViews views;
  admin::Server server;
};

TEST(GatewayAdmin, ServesGatewayMetricsOverHttp) {
  EchoLog log;
  Gateway gw(make_config(log));
  ASSERT_TRUE(gw.start().is_ok());
  Client c(gw.bound_port(0));
  open_and_echo(c, packet(0, 16));

  AdminFixture admin(gw);
  ASSERT_TRUE(admin.server.start().is_ok());
  const std::string body = admin_exchange(admin.server.port(), "GET", "/metrics");
  EXPECT_EQ(body.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << body;
  EXPECT_NE(body.find("text/plain; version=0.0.4"), std::string::npos);
  EXPECT_NE(body.find("mtedge_connections_accepted_total 1\n"), std::string::npos) << body;
  EXPECT_NE(body.find("mtedge_connections_active 1\n"), std::string::npos);
  EXPECT_NE(body.find("mtedge_detections_total{transport=\"intermediate\"} 1\n"),
            std::string::npos);
  EXPECT_NE(body.find("mtedge_codec_errors_total{error=\"frame_too_large\"} 0\n"),
            std::string::npos);
  EXPECT_NE(body.find("mtedge_admin_requests_total 0\n"), std::string::npos);
  admin.server.stop();
}

TEST(GatewayAdmin, ListsAndClosesConnectionsOnEveryWorker) {
  EchoLog log;
  Gateway gw(make_config(log, 2));
  ASSERT_TRUE(gw.start().is_ok());
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<Client>(gw.bound_port(0)));
    open_and_echo(*clients.back(), packet(0, 16));
  }
  AdminFixture admin(gw);
  ASSERT_TRUE(admin.server.start().is_ok());
  const uint16_t port = admin.server.port();

  std::string list = admin_exchange(port, "GET", "/v1/connections?transport=intermediate");
  EXPECT_EQ(list.rfind("HTTP/1.1 200", 0), 0u) << list;
  EXPECT_NE(list.find("\"matched\":4"), std::string::npos) << list;
  EXPECT_NE(list.find("\"workers_answered\":2"), std::string::npos) << list;
  EXPECT_NE(list.find("\"client\":\"127.0.0.1:"), std::string::npos) << list;
  list = admin_exchange(port, "GET", "/v1/connections?limit=1");
  EXPECT_NE(list.find("\"truncated\":true"), std::string::npos) << list;
  EXPECT_NE(admin_exchange(port, "GET", "/v1/connections?transport=abridged").find("\"matched\":0"),
            std::string::npos);

  // Without a filter nothing is closed; with one, every match on both workers is.
  EXPECT_EQ(admin_exchange(port, "DELETE", "/v1/connections").rfind("HTTP/1.1 400", 0), 0u);
  const std::string killed = admin_exchange(port, "DELETE", "/v1/connections?ip=127.0.0.1");
  EXPECT_NE(killed.find("\"closed\":4"), std::string::npos) << killed;
  for (auto& client : clients) EXPECT_TRUE(client->closed_within(std::chrono::milliseconds(3000)));
  ASSERT_TRUE(eventually([&] { return gw.metrics().active == 0; }));
  EXPECT_EQ(gw.metrics().closed_by(backend::CloseReason::kAdminKill), 4u);
  admin.server.stop();
}

TEST(GatewayAdmin, DrainTurnsHealthAndReadinessUnavailable) {
  EchoLog log;
  Gateway gw(make_config(log));
  ASSERT_TRUE(gw.start().is_ok());
  AdminFixture admin(gw);
  ASSERT_TRUE(admin.server.start().is_ok());
  const uint16_t port = admin.server.port();
  EXPECT_EQ(admin_exchange(port, "GET", "/health").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(admin_exchange(port, "GET", "/ready").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(admin_exchange(port, "POST", "/v1/drain").rfind("HTTP/1.1 202", 0), 0u);
  EXPECT_TRUE(gw.stopping());
  EXPECT_EQ(admin_exchange(port, "GET", "/health").rfind("HTTP/1.1 503", 0), 0u);
  EXPECT_EQ(admin_exchange(port, "GET", "/ready").rfind("HTTP/1.1 503", 0), 0u);
  gw.wait();
  admin.server.stop();
}

}  // namespace
}  // namespace mtedge::gateway
