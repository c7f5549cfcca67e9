// Drives the embedded adapter in-process: a recording GatewaySink, a client that builds
// decrypted frames (what the edge crypto stage would hand over), and reply decoding.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend-adapters/api/adapter.h"
#include "backend-adapters/embedded/embedded.h"
#include "backend-adapters/embedded/session/session_service.h"
#include "mtproto/tl/tl_reader.h"
#include "tests/support/embedded_bodies.h"

namespace mtedge::backend::embedded::testing {

using mtproto::TlReader;

struct Sent {
  ConnId conn = 0;
  int64_t salt = 0;
  int64_t session_id = 0;
  int64_t msg_id = 0;
  int32_t seq_no = 0;
  Bytes body;
  uint32_t constructor() const { return body.size() >= 4 ? load_le32(body.data()) : 0; }
  // rpc_result: req_msg_id and the result bytes.
  int64_t req_msg_id() const { return int64_t(load_le64(body.data() + 4)); }
  ByteView result() const { return ByteView(body).subspan(12); }
  uint32_t result_constructor() const { return load_le32(body.data() + 12); }
};

class RecordingSink final : public GatewaySink {
 public:
  bool send_packet(ConnId, ByteView) override {
    ADD_FAILURE() << "the embedded adapter sends messages, never raw packets";
    return true;
  }
  bool send_message(ConnId conn, const OutboundMessage& m) override {
    Sent s{conn, m.salt, m.session_id, m.msg_id, m.seq_no, Bytes(m.body.begin(), m.body.end())};
    sent.push_back(std::move(s));
    return !full;
  }
  void send_quick_ack(ConnId conn, uint32_t token) override {
    quick_acks.emplace_back(conn, token);
  }
  void send_transport_error(ConnId conn, int32_t code) override { errors.emplace_back(conn, code); }
  void close(ConnId conn, std::string_view reason) override {
    closed.emplace_back(conn, std::string(reason));
  }
  void resume_reading(ConnId conn) override { resumed.push_back(conn); }

  bool full = false;  // true: the client's queue is above its high-water mark (sends say false)
  std::vector<Sent> sent;
  std::vector<ConnId> resumed;
  std::vector<std::pair<ConnId, int32_t>> errors;
  std::vector<std::pair<ConnId, std::string>> closed;
  std::vector<std::pair<ConnId, uint32_t>> quick_acks;
};

inline double now_s() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// A client's view of one session: msg_ids and seq_nos as a correct client makes them.
struct TestClient {
  uint64_t auth_key_id = 0x1122334455667788ull;
  int64_t session_id = 0x0102030405060708;
  int64_t salt = 0;
  int32_t content_sent = 0;
  int64_t last_msg_id = 0;

  int64_t next_msg_id(double offset_s = 0) {
    double t = now_s() + offset_s;
    auto sec = static_cast<int64_t>(std::floor(t));
    auto frac = static_cast<int64_t>((t - double(sec)) * 4294967296.0) & 0xffffffff;
    int64_t id = ((sec << 32) | frac) & ~int64_t(3);
    if (offset_s == 0 && id <= last_msg_id) id = last_msg_id + 4;
    if (offset_s == 0) last_msg_id = id;
    return id;
  }
  int32_t next_seq(bool content_related) {
    int32_t seq = content_sent * 2 + (content_related ? 1 : 0);
    if (content_related) ++content_sent;
    return seq;
  }
};

// bad_msg_notification / bad_server_salt fields.
struct BadMsg {
  int64_t bad_msg_id;
  int32_t bad_seq_no;
  int32_t code;
};
inline BadMsg bad_msg_of(const Sent& s) {
  TlReader r(s.body);
  r.read_uint32();
  BadMsg out{r.read_int64(), r.read_int32(), r.read_int32()};
  return out;
}
inline std::pair<int32_t, std::string> rpc_error_of(const Sent& s) {
  TlReader r(s.result());
  r.expect(ids::kRpcError);
  int32_t code = r.read_int32();
  std::string message(r.read_string());
  return {code, message};
}

class EmbeddedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    auto parsed = toml::parse(config_text());
    ASSERT_TRUE(factory_.configure(parsed, "backend.embedded").is_ok());
    for (unsigned w = 0; w < 2; ++w) {
      AdapterContext ctx;
      ctx.loop = &loop_;
      ctx.worker = w;
      ctx.workers = 2;
      ctx.sink = &sink_;
      ctx.post = [this](unsigned, std::function<void()> task) {
        if (defer_posts_) {
          std::lock_guard lock(posted_mu_);  // the storage's thread posts too
          posted_.push_back(std::move(task));
        } else {
          task();
        }
      };
      adapters_.push_back(factory_.create(ctx));
    }
  }
  void TearDown() override {
    adapters_.clear();
    uv_run(&loop_, UV_RUN_NOWAIT);
    ASSERT_EQ(uv_loop_close(&loop_), 0);
  }
  virtual std::string config_text() const {
    return "this_dc = 2\nadvertised_ip = \"10.1.2.3\"\nadvertised_port = 8443\n";
  }

  ConnId open(unsigned worker, uint64_t serial) {
    ConnId id = make_conn_id(worker, serial);
    ConnInfo info;
    info.id = id;
    info.transport = codecs::TransportKind::kIntermediate;
    info.framing = codecs::TransportKind::kIntermediate;
    adapters_[worker]->on_open(info);
    return id;
  }
  // An HTTP connection: one packet per request, requests held as long polls.
  ConnId open_http(unsigned worker, uint64_t serial) {
    ConnId id = make_conn_id(worker, serial);
    ConnInfo info;
    info.id = id;
    info.transport = codecs::TransportKind::kHttp;
    info.framing = codecs::TransportKind::kHttp;
    adapters_[worker]->on_open(info);
    return id;
  }
  // Runs the cross-worker tasks held back while defer_posts_ was true.
  void run_posted() {
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard lock(posted_mu_);
      tasks.swap(posted_);
    }
    for (auto& task : tasks) task();
  }
  size_t posted_count() {
    std::lock_guard lock(posted_mu_);
    return posted_.size();
  }
  void close(ConnId conn) { adapters_[worker_of(conn)]->on_close(conn, CloseReason::kPeerClosed); }

  // Sends one message and returns what the adapter answered on any connection.
  std::vector<Sent> send_raw(ConnId conn, const TestClient& c, int64_t msg_id, int32_t seq_no,
                             ByteView body, int64_t salt) {
    sink_.sent.clear();
    Frame f;
    f.conn_id = conn;
    f.kind = FrameKind::kDecrypted;
    f.auth_key_id = c.auth_key_id;
    f.salt = salt;
    f.session_id = c.session_id;
    f.msg_id = msg_id;
    f.seq_no = seq_no;
    f.body = body;
    f.quick_ack = quick_ack_token_ != 0;
    f.quick_ack_token = quick_ack_token_;
    quick_ack_token_ = 0;
    accepted_ = adapters_[worker_of(conn)]->on_frame(f);
    if (!sink_.full) {
      EXPECT_TRUE(accepted_);
    }
    return sink_.sent;
  }
  std::vector<Sent> send(ConnId conn, TestClient& c, ByteView body, bool content_related) {
    int64_t id = c.next_msg_id();
    int32_t seq = c.next_seq(content_related);
    return send_raw(conn, c, id, seq, body, c.salt);
  }
  // Learns the salt through bad_server_salt and opens the session (new_session_created).
  void start_session(ConnId conn, TestClient& c) {
    auto replies = send_raw(conn, c, c.next_msg_id(), 1, ping_body(1), 0);
    ASSERT_EQ(replies.size(), 1u);
    ASSERT_EQ(replies[0].constructor(), ids::kBadServerSalt);
    TlReader r(replies[0].body);
    r.read_raw(20);
    c.salt = r.read_int64();
    replies = send(conn, c, ping_body(2), true);
    ASSERT_EQ(replies.size(), 2u);
    ASSERT_EQ(replies[0].constructor(), ids::kNewSessionCreated);
    ASSERT_EQ(replies[1].constructor(), ids::kPong);
    // Acknowledge new_session_created so it is not resent later.
    send(conn, c, ids_body(ids::kMsgsAck, {replies[0].msg_id}), false);
  }
  // A connection on `worker` with `c`'s session started on it.
  ConnId open_session(TestClient& c, unsigned worker = 0, uint64_t serial = 1) {
    ConnId conn = open(worker, serial);
    start_session(conn, c);
    return conn;
  }
  SessionService& service() { return *factory_.service(); }

  uv_loop_t loop_{};
  RecordingSink sink_;
  EmbeddedFactory factory_;
  std::vector<std::unique_ptr<BackendAdapter>> adapters_;
  // True: AdapterContext::post queues tasks in posted_ (run_posted) instead of running them.
  bool defer_posts_ = false;
  bool accepted_ = true;  // what on_frame answered for the last frame send_raw sent
  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;
  uint32_t quick_ack_token_ = 0;  // non-zero: the next frame send_raw sends asks for a quick ack
};

}  // namespace mtedge::backend::embedded::testing
