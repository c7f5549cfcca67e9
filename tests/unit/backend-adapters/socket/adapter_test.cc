// The socket adapter in-process: a real libuv loop, a scripted backend on loopback (a thread
// with blocking sockets speaking mtedge.v1) and a recording GatewaySink for the gateway.
#include "backend-adapters/socket/adapter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "backend-adapters/socket/protocol.h"
#include "backend-adapters/socket/rendezvous.h"
#include "tests/support/adapter_loop.h"

namespace mtedge::backend::socket {
namespace {

struct RecordingSink : GatewaySink {
  std::vector<std::pair<ConnId, size_t>> packets;  // (conn, size)
  std::vector<std::pair<ConnId, int32_t>> errors;
  std::vector<ConnId> closes;
  std::unordered_set<ConnId> not_reading;  // clients above their high-water mark
  BackendAdapter* adapter = nullptr;

  size_t packets_for(ConnId conn) const {
    return static_cast<size_t>(std::count_if(packets.begin(), packets.end(),
                                             [&](const auto& p) { return p.first == conn; }));
  }
  bool failed(ConnId conn) const {
    return std::find(closes.begin(), closes.end(), conn) != closes.end() ||
           std::any_of(errors.begin(), errors.end(),
                       [&](const auto& e) { return e.first == conn; });
  }
  bool send_packet(ConnId conn, ByteView packet) override {
    packets.emplace_back(conn, packet.size());
    return !not_reading.contains(conn);
  }
  bool send_message(ConnId, const OutboundMessage&) override { return true; }
  void send_quick_ack(ConnId, uint32_t) override {}
  void send_transport_error(ConnId conn, int32_t code) override {
    errors.emplace_back(conn, code);
    if (adapter) adapter->on_close(conn, CloseReason::kAdapter);
  }
  void close(ConnId conn, std::string_view) override {
    closes.push_back(conn);
    if (adapter) adapter->on_close(conn, CloseReason::kAdapter);
  }
  void resume_reading(ConnId) override {}
};

// A backend endpoint on 127.0.0.1: accepts one stream, answers the hello, then follows its
// script: answer every client frame with a packet of `reply_bytes` (within its credit), and/or
// address one packet to a session, or stop reading altogether.
class ScriptedBackend {
 public:
  struct Script {
    uint32_t initial_credit = 100000;
    size_t reply_bytes = 0;  // 0: no answers
    bool stop_reading = false;
    std::function<void(ScriptedBackend&, const v1::ClientFrame&)> on_frame;
  };

  explicit ScriptedBackend(Script script) : script_(std::move(script)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int small = 4096;
    if (script_.stop_reading) ::setsockopt(listener_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listener_, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedBackend() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    if (int fd = conn_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    thread_.join();
    ::close(listener_);
    if (conn_ >= 0) ::close(conn_);
  }
  uint16_t port() const { return port_; }

  // Sends (or, without credit, queues) one backend message.
  void send(const v1::BackendMessage& message) {
    if (message.kind_case() == v1::BackendMessage::kFrame) {
      if (credit_ == 0) {
        waiting_.push_back(message);
        return;
      }
      --credit_;
    }
    Bytes out;
    append_delimited(message, out);
    write_all(out);
  }
  void send_packet_to_session(uint64_t auth_key_id, size_t size) {
    v1::BackendMessage m;
    m.mutable_frame()->mutable_session()->set_auth_key_id(auth_key_id);
    m.mutable_frame()->set_packet(std::string(size, 'p'));
    send(m);
  }

 private:
  void write_all(const Bytes& out) {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::send(conn_, out.data() + done, out.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

  void run() {
    int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    conn_ = fd;
    Bytes buffer;
    uint8_t chunk[65536];
    while (!stopping_) {
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buffer.insert(buffer.end(), chunk, chunk + n);
      size_t pos = 0;
      while (true) {
        uint64_t size = 0;
        size_t header = 0;
        for (int shift = 0; pos + header < buffer.size() && header < 5; shift += 7) {
          uint8_t b = buffer[pos + header++];
          size |= uint64_t(b & 0x7f) << shift;
          if (!(b & 0x80)) break;
        }
        if (header == 0 || (buffer[pos + header - 1] & 0x80) || buffer.size() - pos - header < size)
          break;
        v1::GatewayMessage message;
        message.ParseFromArray(&buffer[pos + header], static_cast<int>(size));
        pos += header + size;
        if (!handle(message)) {
          // Stop reading: park until the test ends.
          while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
          return;
        }
      }
      buffer.erase(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(pos));
    }
  }

  bool handle(const v1::GatewayMessage& message) {
    switch (message.kind_case()) {
      case v1::GatewayMessage::kHello: {
        credit_ = message.hello().initial_credit();
        v1::BackendMessage ack;
        ack.mutable_hello()->set_version(kProtocolVersion);
        ack.mutable_hello()->set_backend_id("scripted");
        ack.mutable_hello()->set_initial_credit(script_.initial_credit);
        send(ack);
        return !script_.stop_reading;
      }
      case v1::GatewayMessage::kCredit: {
        credit_ += message.credit().messages();
        auto waiting = std::move(waiting_);
        waiting_.clear();
        for (const auto& m : waiting) send(m);
        return true;
      }
      case v1::GatewayMessage::kFrame:
        if (script_.on_frame) script_.on_frame(*this, message.frame());
        if (script_.reply_bytes > 0) {
          v1::BackendMessage reply;
          reply.mutable_frame()->set_conn_id(message.frame().conn_id());
          reply.mutable_frame()->set_packet(std::string(script_.reply_bytes, 'r'));
          send(reply);
        }
        return true;
      default: return true;
    }
  }

  Script script_;
  int listener_ = -1;
  std::atomic<int> conn_{-1};
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  uint64_t credit_ = 0;
  std::vector<v1::BackendMessage> waiting_;
  std::thread thread_;
};

class SocketAdapterTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (adapter_) {
      EXPECT_TRUE(loop_.stop(*adapter_, 3000));
      sink_.adapter = nullptr;
      adapter_.reset();
    }
    EXPECT_EQ(loop_.close(), 0) << "handles left open";
    backend_.reset();
  }

  void start(ScriptedBackend::Script script, const std::string& extra) {
    backend_ = std::make_unique<ScriptedBackend>(std::move(script));
    std::string text =
        "endpoints = [\"127.0.0.1:" + std::to_string(backend_->port()) + "\"]\n" + extra;
    toml::table block = toml::parse(text);
    auto config = parse_config(block, "backend.socket");
    ASSERT_TRUE(config) << config.message();
    auto shared = std::make_shared<const SocketConfig>(std::move(config.value()));
    std::vector<std::string> names{shared->endpoints[0].name};
    AdapterContext context;
    context.loop = loop_.get();
    context.sink = &sink_;
    adapter_ = std::make_unique<SocketAdapter>(
        shared, std::make_shared<const RendezvousHash>(names), context);
    sink_.adapter = adapter_.get();
  }

  bool run_until(const std::function<bool()>& done, int timeout_ms = 3000) {
    return loop_.run_until(done, timeout_ms);
  }

  void open(ConnId id) { adapter_->on_open(ConnInfo{.id = id}); }
  bool send(ConnId id, ByteView packet, FrameKind kind = FrameKind::kUnencrypted,
            uint64_t auth_key_id = 0) {
    Frame frame;
    frame.conn_id = id;
    frame.kind = kind;
    frame.auth_key_id = auth_key_id;
    frame.packet = packet;
    return adapter_->on_frame(frame);
  }

  test::AdapterLoop loop_;
  RecordingSink sink_;
  std::unique_ptr<ScriptedBackend> backend_;
  std::unique_ptr<SocketAdapter> adapter_;
};

// One client that never reads (the sink reports it above its high-water mark) while the
// backend answers each of its frames: it must not take the whole credit window, so another
// client of the same stream is still answered.
TEST_F(SocketAdapterTest, SlowClientDoesNotStarveTheStream) {
  start({.reply_bytes = 2048}, "credit_window = 4\n");
  constexpr ConnId kSlow = 1, kOther = 2;
  sink_.not_reading.insert(kSlow);
  open(kSlow);
  open(kOther);
  Bytes packet(64, 0x11);
  for (int i = 0; i < 12; ++i) send(kSlow, packet);
  ASSERT_TRUE(run_until([&] { return sink_.packets_for(kSlow) >= 4; }));
  send(kOther, packet);
  EXPECT_TRUE(run_until([&] { return sink_.packets_for(kOther) == 1; }, 1000))
      << "the other client was never answered";
}

// A backend that keeps its connection open but stops reading is declared down once the
// oldest unwritten byte is older than write_deadline_ms; its clients get the outcome.
TEST_F(SocketAdapterTest, BackendThatStopsReadingIsDeclaredDown) {
  start({.stop_reading = true},
        "write_deadline_ms = 200\nmax_queued_bytes = 67108864\non_backend_down = -429\n");
  constexpr ConnId kClient = 1;
  open(kClient);
  ASSERT_TRUE(run_until([&] { return adapter_->counters().messages_from_backend.get() == 1; }));
  Bytes big(1 << 20, 0x22);
  for (int i = 0; i < 12 && !sink_.failed(kClient); ++i) send(kClient, big);
  EXPECT_TRUE(run_until([&] { return sink_.failed(kClient); }, 2000))
      << "the stream was never declared down";
  EXPECT_EQ(adapter_->counters().stream_failures.get(), 1u);
  ASSERT_EQ(sink_.errors.size(), 1u);
  EXPECT_EQ(sink_.errors[0].second, -429);
}

// Edge decryption off: the auth_key_id of an encrypted frame is unverified (any client can
// claim any id), so it must not make a connection the target of session-addressed frames.
TEST_F(SocketAdapterTest, UnverifiedKeyCannotDivertSessionFrames) {
  constexpr uint64_t kKey = 0x1122334455667788;
  constexpr ConnId kVictim = 1, kAttacker = 2;
  std::atomic<int> frames{0};
  start({.on_frame =
             [&](ScriptedBackend& backend, const v1::ClientFrame&) {
               if (++frames == 2) backend.send_packet_to_session(kKey, 64);
             }},
        "");
  open(kVictim);
  open(kAttacker);
  Bytes victim_packet(64, 0), attacker_packet(64, 0x5a);
  store_le32(victim_packet.data(), static_cast<uint32_t>(kKey));
  store_le32(victim_packet.data() + 4, static_cast<uint32_t>(kKey >> 32));
  std::copy(victim_packet.begin(), victim_packet.begin() + 8, attacker_packet.begin());
  send(kVictim, victim_packet, FrameKind::kEncrypted, kKey);
  send(kAttacker, attacker_packet, FrameKind::kEncrypted, kKey);
  run_until([&] { return adapter_->counters().undelivered.get() > 0 || !sink_.packets.empty(); });
  EXPECT_EQ(sink_.packets_for(kAttacker), 0u) << "the attacker got the victim's frame";
  EXPECT_EQ(adapter_->counters().undelivered.get(), 1u);
}

// A frame on_frame does not take is never silently dropped: the client is failed (given its
// outcome) within the same call, so the gateway can tell (e.g. not quick-ack it).
TEST_F(SocketAdapterTest, DroppedFrameFailsTheClientAtOnce) {
  start({.stop_reading = true}, "max_queued_bytes = 1048576\non_backend_down = -444\n");
  constexpr ConnId kClient = 1;
  open(kClient);
  ASSERT_TRUE(run_until([&] { return adapter_->counters().messages_from_backend.get() == 1; }));
  Bytes big(700 * 1024, 0x33);
  send(kClient, big);
  EXPECT_FALSE(sink_.failed(kClient));
  send(kClient, big);  // over max_queued_bytes: not taken
  EXPECT_TRUE(sink_.failed(kClient));
  // Frames for a client already failed are refused the same way (it is closing).
  EXPECT_TRUE(sink_.failed(kClient));
}

}  // namespace
}  // namespace mtedge::backend::socket
