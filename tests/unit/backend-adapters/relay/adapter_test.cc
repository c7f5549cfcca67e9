// The relay adapter in-process: a real libuv loop, a real upstream server on loopback
// (tests/support/echo_upstream.h) and a recording GatewaySink standing in for the gateway.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>

#include "backend-adapters/relay/relay.h"
#include "tests/support/adapter_loop.h"
#include "tests/support/echo_upstream.h"

namespace mtedge::backend::relay {
namespace {

using codecs::TransportKind;
using mtedge::Bytes;
using testing::TestUpstream;

struct RecordingSink : GatewaySink {
  struct Packet {
    ConnId conn;
    Bytes data;
  };
  std::vector<Packet> packets;
  std::vector<std::pair<ConnId, uint32_t>> quick_acks;
  std::vector<std::pair<ConnId, int32_t>> errors;
  std::vector<std::pair<ConnId, std::string>> closes;
  std::vector<ConnId> resumes;
  bool accept_packets = true;
  BackendAdapter* adapter = nullptr;

  bool send_packet(ConnId conn, ByteView packet) override {
    packets.push_back({conn, Bytes(packet.begin(), packet.end())});
    return accept_packets;
  }
  bool send_message(ConnId, const OutboundMessage&) override { return true; }
  void send_quick_ack(ConnId conn, uint32_t token) override {
    quick_acks.emplace_back(conn, token);
  }
  void send_transport_error(ConnId conn, int32_t code) override {
    errors.emplace_back(conn, code);
    // Like the gateway: the error is written, then the connection closes.
    if (adapter) adapter->on_close(conn, CloseReason::kAdapter);
  }
  void close(ConnId conn, std::string_view reason) override {
    closes.emplace_back(conn, std::string(reason));
    // The gateway may report the close at once; the adapter must cope with re-entry.
    if (adapter) adapter->on_close(conn, CloseReason::kAdapter);
  }
  void resume_reading(ConnId conn) override { resumes.push_back(conn); }
};

Bytes payload(size_t size, uint8_t seed) {
  Bytes out(size);
  for (size_t i = 0; i < size; ++i) out[i] = uint8_t(seed + i * 7);
  return out;
}

Bytes text_payload(std::string_view text) {
  // At least 16 bytes: shorter server payloads are transport units (NOP, ack, error).
  Bytes out(std::max<size_t>(16, (text.size() + 3) & ~size_t(3)), '.');
  std::copy(text.begin(), text.end(), out.begin());
  return out;
}

Bytes reversed(const Bytes& in) {
  return Bytes(in.rbegin(), in.rend());
}

std::string config_name(TransportKind kind) {
  return std::string(codecs::transport_name(kind));
}

class RelayAdapterTest : public ::testing::TestWithParam<TransportKind> {
 protected:
  void TearDown() override {
    if (adapter_) {
      EXPECT_TRUE(loop_.stop(*adapter_, 5000));
      sink_.adapter = nullptr;
      adapter_.reset();
    }
    for (auto& u : upstreams_) u->close();
    EXPECT_EQ(loop_.close(), 0) << "handles left open";
    upstreams_.clear();
  }

  TestUpstream& add_upstream(TransportKind kind) {
    upstreams_.push_back(std::make_unique<TestUpstream>(loop_.get(), kind));
    return *upstreams_.back();
  }

  void make_adapter(TransportKind kind, uint16_t port, std::string extra = "") {
    std::string text = "[backend.relay]\nupstream = \"127.0.0.1:" + std::to_string(port) +
                       "\"\nupstream_transport = \"" + config_name(kind) + "\"\n" + extra;
    toml::table root = toml::parse(text);
    AdapterRegistry registry;
    register_adapter(registry);
    factory_ = registry.make("relay");
    ASSERT_NE(factory_, nullptr);
    Status status = factory_->configure(*root["backend"]["relay"].as_table(), "backend.relay");
    ASSERT_TRUE(status) << status.message();
    AdapterContext context;
    context.loop = loop_.get();
    context.sink = &sink_;
    adapter_ = factory_->create(context);
    sink_.adapter = adapter_.get();
  }

  void open(ConnId id, std::optional<int16_t> dc = std::nullopt) {
    ConnInfo info;
    info.id = id;
    info.transport = TransportKind::kIntermediate;
    info.framing = TransportKind::kIntermediate;
    info.dc_id = dc;
    adapter_->on_open(info);
  }

  bool frame(ConnId id, const Bytes& packet, bool quick_ack = false) {
    Frame f;
    f.conn_id = id;
    f.kind = FrameKind::kEncrypted;
    f.quick_ack = quick_ack;
    f.packet = packet;
    return adapter_->on_frame(f);
  }

  bool run_until(const std::function<bool()>& done, int timeout_ms = 5000) {
    return loop_.run_until(done, timeout_ms);
  }

  void run_for(int ms) {
    run_until([] { return false; }, ms);
  }

  test::AdapterLoop loop_;
  RecordingSink sink_;
  std::vector<std::unique_ptr<TestUpstream>> upstreams_;
  std::unique_ptr<AdapterFactory> factory_;
  std::unique_ptr<BackendAdapter> adapter_;
};

TEST_P(RelayAdapterTest, FramesBothWaysWithQuickAck) {
  TestUpstream& up = add_upstream(GetParam());
  make_adapter(GetParam(), up.port());
  open(1);
  Bytes a = payload(64, 1), b = payload(256, 2), big = payload(1 << 20, 3);
  // Queued before the connect completes, then sent in order behind the tag.
  EXPECT_TRUE(frame(1, a));
  EXPECT_TRUE(frame(1, b, /*quick_ack=*/true));
  ASSERT_TRUE(run_until([&] { return sink_.packets.size() == 2; }));
  frame(1, big);
  ASSERT_TRUE(run_until([&] { return sink_.packets.size() == 3; }));
  EXPECT_EQ(sink_.packets[0].data, reversed(a));
  EXPECT_EQ(sink_.packets[1].data, reversed(b));
  EXPECT_EQ(sink_.packets[2].data, reversed(big));
  EXPECT_EQ(sink_.packets[0].conn, 1u);
  // The quick-ack request went up; the upstream's token came down unchanged.
  ASSERT_EQ(up.quick_acks.size(), 3u);
  EXPECT_FALSE(up.quick_acks[0]);
  EXPECT_FALSE(up.quick_acks[2]);
  if (GetParam() == TransportKind::kFull) {
    // The full transport has no quick ack (current spec): nothing to pass up or down.
    EXPECT_FALSE(up.quick_acks[1]);
    EXPECT_TRUE(sink_.quick_acks.empty());
  } else {
    EXPECT_TRUE(up.quick_acks[1]);
    ASSERT_EQ(sink_.quick_acks.size(), 1u);
    EXPECT_EQ(sink_.quick_acks[0], std::make_pair(ConnId(1), testing::token_for(b)));
  }
  EXPECT_TRUE(sink_.closes.empty());
  EXPECT_EQ(up.accepted, 1u);
}

TEST_P(RelayAdapterTest, ManyFramesInOneBatch) {
  TestUpstream& up = add_upstream(GetParam());
  make_adapter(GetParam(), up.port());
  open(1);
  ASSERT_TRUE(run_until([&] { return up.accepted == 1; }));
  std::vector<Bytes> sent;
  for (int i = 0; i < 200; ++i) {
    sent.push_back(payload(16 + 4 * (i % 40), uint8_t(i)));
    EXPECT_TRUE(frame(1, sent.back(), i % 3 == 0));
  }
  ASSERT_TRUE(run_until([&] { return sink_.packets.size() == sent.size(); }));
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sink_.packets[i].data, reversed(sent[i])) << i;
  EXPECT_EQ(sink_.quick_acks.size(), GetParam() == TransportKind::kFull ? 0u : 67u);
}

TEST_P(RelayAdapterTest, UpstreamTransportErrorIsPassedDown) {
  TestUpstream& up = add_upstream(GetParam());
  make_adapter(GetParam(), up.port());
  open(1);
  frame(1, text_payload("EROR"));
  ASSERT_TRUE(run_until([&] { return !sink_.errors.empty(); }));
  EXPECT_EQ(sink_.errors[0], std::make_pair(ConnId(1), -404));
  ASSERT_TRUE(run_until([&] { return up.closed == 1; }));
  EXPECT_EQ(adapter_->on_frame(Frame{1}), true);  // late frames for a gone connection are ignored
}

TEST_P(RelayAdapterTest, UpstreamCloseClosesClient) {
  TestUpstream& up = add_upstream(GetParam());
  make_adapter(GetParam(), up.port());
  open(1);
  open(2);
  frame(1, text_payload("CLOS"));
  frame(2, payload(16, 9));
  ASSERT_TRUE(run_until([&] { return !sink_.closes.empty() && !sink_.packets.empty(); }));
  ASSERT_EQ(sink_.closes.size(), 1u);
  EXPECT_EQ(sink_.closes[0], std::make_pair(ConnId(1), std::string("upstream closed")));
  EXPECT_EQ(sink_.packets[0].conn, 2u);  // the other connection is unaffected
}

INSTANTIATE_TEST_SUITE_P(Transports, RelayAdapterTest,
                         ::testing::Values(TransportKind::kAbridged, TransportKind::kIntermediate,
                                           TransportKind::kPaddedIntermediate,
                                           TransportKind::kFull),
                         [](const auto& param_info) {
                           return std::string(config_name(param_info.param));
                         });

using RelayAdapterFlowTest = RelayAdapterTest;

TEST_F(RelayAdapterFlowTest, RefusedUpstreamClosesClient) {
  make_adapter(TransportKind::kIntermediate, testing::refused_port());
  open(7);
  EXPECT_TRUE(frame(7, payload(16, 1)));
  ASSERT_TRUE(run_until([&] { return !sink_.closes.empty(); }));
  EXPECT_EQ(sink_.closes[0].first, 7u);
  EXPECT_EQ(sink_.closes[0].second.rfind("upstream connect failed", 0), 0u)
      << sink_.closes[0].second;
}

// A listener whose accept queue is full and never drained: the kernel drops further SYNs,
// so a connect to it hangs until the relay's timeout.
struct BlackholeListener {
  int listener = -1;
  std::vector<int> fillers;
  uint16_t port = 0;

  BlackholeListener() {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener, 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    for (int i = 0; i < 4; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fillers.push_back(fd);
    }
  }
  ~BlackholeListener() {
    for (int fd : fillers) ::close(fd);
    ::close(listener);
  }
};

TEST_F(RelayAdapterFlowTest, ConnectTimeoutClosesClient) {
  BlackholeListener hole;
  make_adapter(TransportKind::kIntermediate, hole.port, "connect_timeout_ms = 300\n");
  open(1);
  frame(1, payload(16, 1));
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until([&] { return !sink_.closes.empty(); }));
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(sink_.closes[0],
            std::make_pair(ConnId(1), std::string("upstream connect timeout [timeout_ms = 300]")));
  EXPECT_GE(waited, std::chrono::milliseconds(250));
}

TEST_F(RelayAdapterFlowTest, ClientCloseClosesUpstream) {
  TestUpstream& up = add_upstream(TransportKind::kIntermediate);
  make_adapter(TransportKind::kIntermediate, up.port());
  open(1);
  frame(1, payload(16, 1));
  ASSERT_TRUE(run_until([&] { return sink_.packets.size() == 1; }));
  adapter_->on_close(1, CloseReason::kPeerClosed);
  ASSERT_TRUE(run_until([&] { return up.closed == 1; }));
  EXPECT_TRUE(sink_.closes.empty());
}

TEST_F(RelayAdapterFlowTest, ClientCloseWhileConnecting) {
  TestUpstream& up = add_upstream(TransportKind::kIntermediate);
  make_adapter(TransportKind::kIntermediate, up.port());
  open(1);
  frame(1, payload(16, 1));
  adapter_->on_close(1, CloseReason::kPeerClosed);
  run_for(100);
  EXPECT_TRUE(sink_.packets.empty());
  EXPECT_TRUE(sink_.closes.empty());
}

TEST_F(RelayAdapterFlowTest, PicksUpstreamByDcId) {
  TestUpstream& fallback = add_upstream(TransportKind::kIntermediate);
  TestUpstream& dc2 = add_upstream(TransportKind::kIntermediate);
  TestUpstream& test_dc = add_upstream(TransportKind::kIntermediate);
  make_adapter(TransportKind::kIntermediate, fallback.port(),
               "[backend.relay.dc]\n\"2\" = \"127.0.0.1:" + std::to_string(dc2.port()) +
                   "\"\n\"-10002\" = \"127.0.0.1:" + std::to_string(test_dc.port()) + "\"\n");
  open(1, int16_t(2));
  open(2, int16_t(3));    // not configured: the default
  open(3, std::nullopt);  // no dc id: the default
  open(4, int16_t(-10002));
  for (ConnId id : {1, 2, 3, 4}) frame(id, payload(16, uint8_t(id)));
  ASSERT_TRUE(run_until([&] { return sink_.packets.size() == 4; }));
  EXPECT_EQ(dc2.accepted, 1u);
  EXPECT_EQ(fallback.accepted, 2u);
  EXPECT_EQ(test_dc.accepted, 1u);
}

TEST_F(RelayAdapterFlowTest, BackpressureWhileConnecting) {
  TestUpstream& up = add_upstream(TransportKind::kIntermediate);
  make_adapter(TransportKind::kIntermediate, up.port(), "max_upstream_buffer_bytes = 4096\n");
  open(1);
  EXPECT_TRUE(frame(1, payload(1024, 1)));
  EXPECT_FALSE(frame(1, payload(8192, 2)));  // above the cap: pause the client
  EXPECT_TRUE(sink_.resumes.empty());
  ASSERT_TRUE(run_until([&] { return !sink_.resumes.empty(); }));
  EXPECT_EQ(sink_.resumes[0], 1u);
  ASSERT_TRUE(run_until([&] { return sink_.packets.size() == 2; }));
  EXPECT_EQ(sink_.packets[1].data, reversed(payload(8192, 2)));
}

TEST_F(RelayAdapterFlowTest, BackpressureFromStalledUpstream) {
  TestUpstream& up = add_upstream(TransportKind::kIntermediate);
  make_adapter(TransportKind::kIntermediate, up.port(), "max_upstream_buffer_bytes = 65536\n");
  open(1);
  ASSERT_TRUE(run_until([&] { return up.accepted == 1; }));
  up.set_reading(false);
  Bytes chunk = payload(32 * 1024, 5);
  int sent = 0;
  bool paused = false;
  // The kernel's socket buffers absorb a few MiB; then writes stay in flight and the
  // adapter reports backpressure.
  size_t resumes = 0;
  while (sent < 4000 && !paused) {
    bool accepted = frame(1, chunk);
    ++sent;
    if (accepted) {
      uv_run(loop_.get(), UV_RUN_NOWAIT);
      continue;
    }
    // A `false` is owed a resume_reading once the queue drains; while the upstream
    // does not read, none comes.
    resumes = sink_.resumes.size();
    run_for(50);
    paused = sink_.resumes.size() == resumes;
  }
  ASSERT_TRUE(paused) << "no backpressure after " << sent << " frames";
  EXPECT_LT(sent, 4000);
  up.set_reading(true);
  ASSERT_TRUE(run_until([&] { return sink_.resumes.size() == resumes + 1; }));
  ASSERT_TRUE(run_until([&] { return sink_.packets.size() == size_t(sent); }, 20000));
  EXPECT_TRUE(sink_.closes.empty());
}

TEST_F(RelayAdapterFlowTest, SlowClientStopsUpstreamReads) {
  TestUpstream& up = add_upstream(TransportKind::kIntermediate);
  make_adapter(TransportKind::kIntermediate, up.port());
  sink_.accept_packets = false;  // the client's outbound queue is above its high-water mark
  open(1);
  frame(1, payload(16, 1));
  ASSERT_TRUE(run_until([&] { return sink_.packets.size() == 1; }));
  frame(1, payload(16, 2));
  ASSERT_TRUE(run_until([&] { return up.packets == 2; }));
  run_for(100);
  EXPECT_EQ(sink_.packets.size(), 1u);  // the answer waits in the upstream socket
  sink_.accept_packets = true;
  adapter_->on_client_drained(1);
  ASSERT_TRUE(run_until([&] { return sink_.packets.size() == 2; }));
  EXPECT_EQ(sink_.packets[1].data, reversed(payload(16, 2)));
}

TEST_F(RelayAdapterFlowTest, DecryptedFramesAreRefused) {
  TestUpstream& up = add_upstream(TransportKind::kIntermediate);
  make_adapter(TransportKind::kIntermediate, up.port());
  open(1);
  Frame f;
  f.conn_id = 1;
  f.kind = FrameKind::kDecrypted;
  adapter_->on_frame(f);
  ASSERT_EQ(sink_.closes.size(), 1u);
  EXPECT_NE(sink_.closes[0].second.find("edge decryption off"), std::string::npos);
}

TEST_F(RelayAdapterFlowTest, PacketsOfPartialWordsAreRefused) {
  TestUpstream& up = add_upstream(TransportKind::kAbridged);
  make_adapter(TransportKind::kAbridged, up.port());
  open(1);
  open(2);
  frame(1, payload(17, 1));
  frame(2, Bytes{});
  ASSERT_EQ(sink_.closes.size(), 2u);
  EXPECT_EQ(sink_.closes[0].second, "client packet of 17 bytes is not whole 32-bit words");
  EXPECT_EQ(sink_.closes[1].second, "client packet of 0 bytes is not whole 32-bit words");
  run_for(50);
  EXPECT_EQ(up.packets, 0u);
}

TEST_F(RelayAdapterFlowTest, StopClosesEveryUpstream) {
  TestUpstream& up = add_upstream(TransportKind::kIntermediate);
  make_adapter(TransportKind::kIntermediate, up.port());
  open(1);
  open(2);
  frame(1, payload(16, 1));
  frame(2, payload(16, 2));
  ASSERT_TRUE(run_until([&] { return sink_.packets.size() == 2; }));
  bool done = false;
  adapter_->stop([&] { done = true; });
  EXPECT_FALSE(done);  // only after the close callbacks
  ASSERT_TRUE(run_until([&] { return done && up.closed == 2; }));
  EXPECT_EQ(sink_.closes.size(), 2u);
  sink_.adapter = nullptr;
  adapter_.reset();
}

}  // namespace
}  // namespace mtedge::backend::relay
