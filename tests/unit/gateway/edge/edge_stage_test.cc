// The edge crypto stage as a decorator, without sockets: a recording sink stands for the
// worker, a recording adapter for the backend. Vectors from docs/spec/wire-notes.md §6.6 and §7.6.
#include "gateway/edge/edge_stage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "mtproto/auth_keys/memory_auth_key_store.h"
#include "mtproto/handshake/handshake_client.h"
#include "mtproto/handshake/unencrypted.h"
#include "mtproto/message/message.h"
#include "tests/support/hex.h"
#include "tests/support/keys.h"
#include "tests/support/vectors.h"

namespace mtedge::gateway {
namespace {

using backend::ConnId;
using backend::Frame;
using backend::FrameKind;
using mtedge::Bytes;
using mtedge::test::from_hex;

constexpr ConnId kConn = 7;

struct RecordingSink : backend::GatewaySink {
  std::vector<Bytes> packets;
  std::vector<uint32_t> quick_acks;
  std::vector<int32_t> transport_errors;
  std::vector<std::string> closes;
  // Run after a call is recorded: what Connection does when the call overflows the client's
  // queue (it closes at once, so the stage hears on_close from inside its own sink call).
  std::function<void(ConnId)> after_packet;
  std::function<void(ConnId)> after_quick_ack;
  std::function<void(ConnId)> after_close;
  bool send_packet(ConnId conn, backend::ByteView packet) override {
    packets.emplace_back(packet.begin(), packet.end());
    if (after_packet) after_packet(conn);
    return true;
  }
  bool send_message(ConnId, const backend::OutboundMessage&) override {
    ADD_FAILURE() << "the stage must encrypt, not forward send_message";
    return true;
  }
  void send_quick_ack(ConnId conn, uint32_t token) override {
    quick_acks.push_back(token);
    if (after_quick_ack) after_quick_ack(conn);
  }
  void send_transport_error(ConnId, int32_t code) override { transport_errors.push_back(code); }
  void close(ConnId conn, std::string_view reason) override {
    closes.emplace_back(reason);
    if (after_close) after_close(conn);
  }
  std::vector<ConnId> resumed;
  void resume_reading(ConnId conn) override { resumed.push_back(conn); }
  void mark_authenticated(ConnId conn) override { authenticated.push_back(conn); }
  std::vector<ConnId> authenticated;
};

struct SeenFrame {
  FrameKind kind;
  uint64_t auth_key_id;
  bool quick_ack;
  int64_t salt, session_id, msg_id;
  int32_t seq_no;
  Bytes body;
  uint32_t quick_ack_token;
};

struct RecordingAdapter : backend::BackendAdapter {
  std::vector<SeenFrame>* frames;
  int* opens;
  int* closes;
  RecordingSink* sink = nullptr;  // set: records how many quick-acks had gone out per frame
  std::vector<size_t> quick_acks_before_frame;
  std::function<void(ConnId)> after_frame;  // e.g. the backend closes the client
  std::vector<ConnId> open_conns;
  void on_open(const backend::ConnInfo& info) override {
    ++*opens;
    open_conns.push_back(info.id);
  }
  bool on_frame(const Frame& f) override {
    // The contract: never a frame for a connection that is not open.
    EXPECT_NE(std::find(open_conns.begin(), open_conns.end(), f.conn_id), open_conns.end())
        << "a frame for closed connection " << f.conn_id;
    frames->push_back({f.kind, f.auth_key_id, f.quick_ack, f.salt, f.session_id, f.msg_id, f.seq_no,
                       Bytes(f.body.begin(), f.body.end()), f.quick_ack_token});
    if (sink != nullptr) quick_acks_before_frame.push_back(sink->quick_acks.size());
    if (after_frame) after_frame(f.conn_id);
    return true;
  }
  void on_close(ConnId conn, backend::CloseReason) override {
    ++*closes;
    std::erase(open_conns, conn);
  }
  void on_auth_key_created(uint64_t auth_key_id, int64_t server_salt) override {
    created->emplace_back(auth_key_id, server_salt);
  }
  std::vector<std::pair<uint64_t, int64_t>>* created;
  bool own_quick_acks = false;
  bool sends_quick_acks() const override { return own_quick_acks; }
};

crypto::RsaPrivateKey test_rsa_key() {
  auto key = crypto::RsaPrivateKey::from_pem_file(
      mtedge::test::vector_path(mtedge::test::kTestRsaKeyFile));
  EXPECT_TRUE(key.is_ok()) << key.message();
  return key.value();
}

mtproto::AuthKey sample_key() {
  return mtproto::AuthKey::from_bytes(from_hex(mtedge::test::kAuthKeyHex)).value();
}

std::shared_ptr<EdgeCrypto> open_crypto(const std::string& auth_key_file = "",
                                        size_t max_handshakes_per_ip = 16) {
  CryptoConfig config;
  config.edge_decryption = true;
  config.max_handshakes_per_ip = max_handshakes_per_ip;
  config.rsa_keys = {test_rsa_key()};
  config.auth_key_file = auth_key_file;
  auto crypto = std::make_shared<EdgeCrypto>();
  Status opened = crypto->open(config);
  EXPECT_TRUE(opened.is_ok()) << opened.message();
  return crypto;
}

class EdgeStageTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start(EdgeStageOptions options = {}) {
    crypto_ = open_crypto();
    stage_ = std::make_unique<EdgeStage>(crypto_, sink_, std::move(options));
    auto inner = std::make_unique<RecordingAdapter>();
    inner->frames = &frames_;
    inner->opens = &opens_;
    inner->closes = &closes_;
    inner->created = &created_;
    inner->sink = &sink_;
    inner_ = inner.get();
    stage_->set_inner(std::move(inner));
    backend::ConnInfo info;
    info.id = kConn;
    stage_->on_open(info);
  }

  void add_key(const mtproto::AuthKey& key) {
    mtproto::StoredAuthKey stored;
    stored.key = key;
    ASSERT_TRUE(crypto_->store()->insert(stored).value());
  }

  bool feed(ByteView packet, bool quick_ack = false) {
    Frame frame;
    frame.conn_id = kConn;
    frame.auth_key_id = load_le64(packet.data());
    frame.kind = frame.auth_key_id == 0 ? FrameKind::kUnencrypted : FrameKind::kEncrypted;
    frame.quick_ack = quick_ack;
    frame.packet = packet;
    return stage_->on_frame(frame);
  }

  std::shared_ptr<EdgeCrypto> crypto_;
  RecordingSink sink_;
  std::unique_ptr<EdgeStage> stage_;
  RecordingAdapter* inner_ = nullptr;
  std::vector<SeenFrame> frames_;
  int opens_ = 0;
  int closes_ = 0;
  std::vector<std::pair<uint64_t, int64_t>> created_;
};

TEST_F(EdgeStageTest, DecryptsAndComputesTheQuickAckToken) {
  add_key(sample_key());
  const Bytes payload = from_hex(mtedge::test::kPayloadHex);
  EXPECT_TRUE(feed(payload, /*quick_ack=*/true));
  EXPECT_EQ(opens_, 1);
  ASSERT_EQ(sink_.quick_acks.size(), 1u);
  EXPECT_EQ(sink_.quick_acks[0], 0xA1ABE8DAu);  // docs/spec/wire-notes.md §6.6
  EXPECT_TRUE(sink_.transport_errors.empty());
  EXPECT_TRUE(sink_.closes.empty());
  ASSERT_EQ(frames_.size(), 1u);
  const SeenFrame& f = frames_[0];
  EXPECT_EQ(f.kind, FrameKind::kDecrypted);
  EXPECT_EQ(f.auth_key_id, sample_key().id());
  EXPECT_TRUE(f.quick_ack);
  EXPECT_EQ(static_cast<uint64_t>(f.salt), 0xCE3D50987274A649u);
  EXPECT_EQ(f.session_id, 0x0123456789ABCDEF);
  EXPECT_EQ(static_cast<uint64_t>(f.msg_id), 0x65C53D5100000004u);
  EXPECT_EQ(f.seq_no, 1);
  EXPECT_EQ(f.body, from_hex("EC77BE7A0100000000000000"));  // ping ping_id=1
}

// An adapter that sends quick-acks itself (the embedded one, once a write is durable) gets the
// token in the frame; the stage sends none.
TEST_F(EdgeStageTest, AdapterThatSendsQuickAcksGetsTheToken) {
  add_key(sample_key());
  inner_->own_quick_acks = true;
  EXPECT_TRUE(feed(from_hex(mtedge::test::kPayloadHex), /*quick_ack=*/true));
  EXPECT_TRUE(sink_.quick_acks.empty());
  ASSERT_EQ(frames_.size(), 1u);
  EXPECT_TRUE(frames_[0].quick_ack);
  EXPECT_EQ(frames_[0].quick_ack_token, 0xA1ABE8DAu);
}

TEST_F(EdgeStageTest, NoQuickAckUnlessAsked) {
  add_key(sample_key());
  feed(from_hex(mtedge::test::kPayloadHex));
  EXPECT_TRUE(sink_.quick_acks.empty());
  ASSERT_EQ(frames_.size(), 1u);
  EXPECT_FALSE(frames_[0].quick_ack);
}

TEST_F(EdgeStageTest, UnknownKeyGets404) {
  // The §6.6 packet, but the store does not hold its key.
  feed(from_hex(mtedge::test::kPayloadHex), true);
  EXPECT_EQ(sink_.transport_errors, std::vector<int32_t>{-404});
  EXPECT_TRUE(frames_.empty());
  EXPECT_TRUE(sink_.quick_acks.empty());
}

// Admission (docs/operations.md): only a packet that decrypts under a known key tells the
// gateway the connection is authenticated.
TEST_F(EdgeStageTest, APacketThatDecryptsAuthenticatesTheConnection) {
  feed(from_hex(mtedge::test::kPayloadHex));  // the key is not known yet
  EXPECT_TRUE(sink_.authenticated.empty());
  add_key(sample_key());
  feed(from_hex(mtedge::test::kPayloadHex));
  EXPECT_EQ(sink_.authenticated, std::vector<ConnId>{kConn});
}

TEST_F(EdgeStageTest, ExpiredTempKeyGets404) {
  mtproto::StoredAuthKey stored;
  stored.key = sample_key();
  stored.temp = true;
  stored.expires_at = 1;  // long ago
  ASSERT_TRUE(crypto_->store()->insert(stored).value());
  feed(from_hex(mtedge::test::kPayloadHex));
  EXPECT_EQ(sink_.transport_errors, std::vector<int32_t>{-404});
  EXPECT_TRUE(frames_.empty());
}

TEST_F(EdgeStageTest, BadMsgKeyCloses) {
  add_key(sample_key());
  Bytes payload = from_hex(mtedge::test::kPayloadHex);
  payload[8] ^= 0x01;  // first msg_key byte
  feed(payload, true);
  EXPECT_EQ(sink_.closes.size(), 1u);
  EXPECT_TRUE(sink_.transport_errors.empty());  // not -404: the key is known
  EXPECT_TRUE(sink_.quick_acks.empty());
  EXPECT_TRUE(frames_.empty());
}

TEST_F(EdgeStageTest, CorruptCiphertextCloses) {
  add_key(sample_key());
  Bytes payload = from_hex(mtedge::test::kPayloadHex);
  payload.back() ^= 0x80;
  feed(payload);
  EXPECT_EQ(sink_.closes.size(), 1u);
  EXPECT_TRUE(frames_.empty());
}

TEST_F(EdgeStageTest, SendMessageEncryptsWithTheConnectionsKey) {
  add_key(sample_key());
  feed(from_hex(mtedge::test::kPayloadHex));
  ASSERT_EQ(frames_.size(), 1u);
  // The key leaves the store (destroy_auth_key): replies still go out under it.
  ASSERT_TRUE(crypto_->store()->erase(sample_key().id()).value());

  const Bytes body = from_hex("C573773400000000000000000100000000000000");  // pong-like
  backend::OutboundMessage out;
  out.salt = 0x1122334455667788;
  out.session_id = 0x0123456789ABCDEF;
  out.msg_id = 0x65C53D5200000001;
  out.seq_no = 1;
  out.body = body;
  EXPECT_TRUE(stage_->send_message(kConn, out));
  ASSERT_EQ(sink_.packets.size(), 1u);
  Bytes packet = sink_.packets[0];
  auto decrypted =
      mtproto::decrypt_message(sample_key(), packet, mtproto::Direction::kServerToClient);
  ASSERT_TRUE(decrypted.is_ok()) << decrypted.message();
  EXPECT_EQ(decrypted->salt, 0x1122334455667788u);
  EXPECT_EQ(decrypted->session_id, 0x0123456789ABCDEFu);
  EXPECT_EQ(decrypted->msg_id, 0x65C53D5200000001u);
  EXPECT_EQ(decrypted->seq_no, 1u);
  EXPECT_EQ(Bytes(decrypted->body.begin(), decrypted->body.end()), body);
  // Not decryptable as a client->server message (x = 8 was used).
  Bytes again = sink_.packets[0];
  EXPECT_FALSE(mtproto::decrypt_message(sample_key(), again).is_ok());
}

TEST_F(EdgeStageTest, SendMessageBeforeAnyKeyCloses) {
  backend::OutboundMessage out;
  Bytes body(8, 0);
  out.body = body;
  EXPECT_FALSE(stage_->send_message(kConn, out));
  EXPECT_EQ(sink_.closes.size(), 1u);
  EXPECT_TRUE(sink_.packets.empty());
  // A connection that is gone is ignored.
  EXPECT_TRUE(stage_->send_message(kConn + 1, out));
  EXPECT_EQ(sink_.closes.size(), 1u);
}

// Unwraps an unencrypted server payload (what the stage sent) into its message body.
Bytes unencrypted_body(const Bytes& packet) {
  auto message = mtproto::parse_unencrypted(packet);
  EXPECT_TRUE(message.is_ok()) << message.message();
  return Bytes(message->body.begin(), message->body.end());
}

Bytes unencrypted(ByteView body) {
  static uint64_t msg_id = 0x65C53D5100000000;
  msg_id += 4;
  return mtproto::build_unencrypted(msg_id, body);
}

mtproto::HandshakeClient new_client() {
  mtproto::HandshakeClientOptions options;
  options.server_key = test_rsa_key().public_key();
  return mtproto::HandshakeClient(options);
}

// A client->server message under the client's new key; `token` gets its quick-ack token.
Bytes encrypted_ping(const mtproto::HandshakeClient& client, uint32_t* token,
                     uint64_t msg_id = 0x65C53D5100000010) {
  const Bytes ping = from_hex("EC77BE7A0200000000000000");
  mtproto::OutgoingMessage m;
  m.salt = client.server_salt();
  m.session_id = 42;
  m.msg_id = msg_id;
  m.seq_no = 1;
  m.body = ping;
  Bytes packet;
  mtproto::EncryptOptions enc;
  enc.dir = mtproto::Direction::kClientToServer;
  EXPECT_TRUE(mtproto::encrypt_message(client.auth_key(), m, packet, crypto::secure_random_source(),
                                       enc, token)
                  .is_ok());
  return packet;
}

// Runs the whole exchange through feed(); each reply is the last packet the sink saw.
void complete_handshake(mtproto::HandshakeClient& client, const std::function<bool(Bytes)>& feed,
                        const std::vector<Bytes>& packets) {
  feed(unencrypted(client.req_pq()));
  ASSERT_FALSE(packets.empty());
  auto req_dh = client.on_res_pq(unencrypted_body(packets.back()));
  ASSERT_TRUE(req_dh.is_ok()) << req_dh.message();
  feed(unencrypted(*req_dh));
  auto set_dh = client.on_server_dh_params(unencrypted_body(packets.back()));
  ASSERT_TRUE(set_dh.is_ok()) << set_dh.message();
  feed(unencrypted(*set_dh));
  auto gen = client.on_dh_gen(unencrypted_body(packets.back()));
  ASSERT_TRUE(gen.is_ok()) << gen.message();
  ASSERT_EQ(gen->kind, mtproto::HandshakeClient::GenResult::Kind::kOk);
}

TEST_F(EdgeStageTest, HandshakeThenEncryptedTraffic) {
  mtproto::HandshakeClient client = new_client();
  complete_handshake(
      client, [&](Bytes p) { return feed(p); }, sink_.packets);
  ASSERT_EQ(sink_.packets.size(), 3u);
  EXPECT_TRUE(sink_.transport_errors.empty());
  EXPECT_TRUE(frames_.empty());  // handshakes never reach the backend
  ASSERT_NE(crypto_->store()->find(client.auth_key().id()), nullptr);
  // The backend hears of the key and its initial salt (so it can accept the first message).
  ASSERT_EQ(created_.size(), 1u);
  EXPECT_EQ(created_[0].first, client.auth_key().id());
  EXPECT_EQ(created_[0].second, static_cast<int64_t>(client.server_salt()));

  uint32_t token = 0;
  feed(encrypted_ping(client, &token), true);
  EXPECT_EQ(sink_.quick_acks, std::vector<uint32_t>{token});
  ASSERT_EQ(frames_.size(), 1u);
  EXPECT_EQ(frames_[0].session_id, 42);
  EXPECT_EQ(frames_[0].body, from_hex("EC77BE7A0200000000000000"));
}

// The quick-ack closes the connection synchronously (its queue was full): the stage must not
// touch the connection's state afterwards (ASan: heap-use-after-free), and the adapter must not
// get the frame of a connection it already heard on_close for.
TEST_F(EdgeStageTest, QuickAckThatClosesTheConnectionIsTheLastThingDone) {
  mtproto::HandshakeClient client = new_client();
  complete_handshake(
      client, [&](Bytes p) { return feed(p); }, sink_.packets);
  sink_.after_quick_ack = [&](ConnId id) { stage_->on_close(id, backend::CloseReason::kLimit); };
  uint32_t token = 0;
  feed(encrypted_ping(client, &token), /*quick_ack=*/true);
  EXPECT_EQ(closes_, 1);
  ASSERT_EQ(frames_.size(), 1u);  // the adapter had the frame before the close
  EXPECT_EQ(sink_.quick_acks, std::vector<uint32_t>{token});
}

// The quick-ack follows the hand-off: it tells the client the server has the message.
TEST_F(EdgeStageTest, QuickAckGoesOutAfterTheAdapterTookTheFrame) {
  add_key(sample_key());
  feed(from_hex(mtedge::test::kPayloadHex), /*quick_ack=*/true);
  ASSERT_EQ(inner_->quick_acks_before_frame, std::vector<size_t>{0});
  EXPECT_EQ(sink_.quick_acks.size(), 1u);
}

// The adapter closes the client while taking the frame (the backend refused it): no quick-ack.
TEST_F(EdgeStageTest, NoQuickAckWhenTakingTheFrameClosedTheConnection) {
  add_key(sample_key());
  sink_.after_close = [&](ConnId id) { stage_->on_close(id, backend::CloseReason::kAdapter); };
  inner_->after_frame = [&](ConnId id) { stage_->close(id, "backend refused"); };
  feed(from_hex(mtedge::test::kPayloadHex), /*quick_ack=*/true);
  EXPECT_EQ(frames_.size(), 1u);
  EXPECT_EQ(closes_, 1);
  EXPECT_TRUE(sink_.quick_acks.empty());
}

// A handshake reply that closes the connection (send_packet overflowed), then a late frame of
// the same connection (already read from the socket): it reaches neither the handshake nor the
// adapter.
TEST_F(EdgeStageTest, FramesOfAClosedConnectionAreDropped) {
  mtproto::HandshakeClient client = new_client();
  sink_.after_packet = [&](ConnId id) { stage_->on_close(id, backend::CloseReason::kLimit); };
  feed(unencrypted(client.req_pq()));
  EXPECT_EQ(closes_, 1);
  sink_.after_packet = nullptr;
  add_key(sample_key());
  feed(from_hex(mtedge::test::kPayloadHex), /*quick_ack=*/true);
  feed(unencrypted(new_client().req_pq()));
  EXPECT_TRUE(frames_.empty());
  EXPECT_TRUE(sink_.quick_acks.empty());
  EXPECT_EQ(sink_.packets.size(), 1u);  // only the first resPQ
}

TEST_F(EdgeStageTest, GarbageHandshakeQueryGets404) {
  feed(unencrypted(from_hex("0123456789ABCDEF")));
  EXPECT_EQ(sink_.transport_errors, std::vector<int32_t>{-404});
  EXPECT_TRUE(sink_.packets.empty());
}

TEST_F(EdgeStageTest, HandshakesPerConnectionAreCapped) {
  // Defaults allow 2 open exchanges per connection; the third req_pq gets -429.
  for (int i = 0; i < 3; ++i) {
    mtproto::HandshakeClientOptions options;
    options.server_key = test_rsa_key().public_key();
    mtproto::HandshakeClient client(options);
    feed(unencrypted(client.req_pq()));
  }
  EXPECT_EQ(sink_.packets.size(), 2u);
  EXPECT_EQ(sink_.transport_errors, std::vector<int32_t>{-429});
}

TEST(EdgeStageClientIp, PerIpHandshakeLimitSeesTheLookedUpAddress) {
  RecordingSink sink;
  std::vector<ConnId> asked;
  EdgeStageOptions options;
  options.client_ip = [&](ConnId id) {
    asked.push_back(id);
    return std::string(id == 3 ? "198.51.100.9" : "198.51.100.7");
  };
  EdgeStage stage(open_crypto("", /*max_handshakes_per_ip=*/1), sink, std::move(options));
  std::vector<SeenFrame> frames;
  std::vector<std::pair<uint64_t, int64_t>> created;
  int opens = 0, closes = 0;
  auto inner = std::make_unique<RecordingAdapter>();
  inner->frames = &frames;
  inner->opens = &opens;
  inner->closes = &closes;
  inner->created = &created;
  stage.set_inner(std::move(inner));
  for (ConnId id : {1, 2, 3}) {
    backend::ConnInfo info;
    info.id = id;
    stage.on_open(info);
    mtproto::HandshakeClient client = new_client();
    auto send = [&](const Bytes& packet) {
      Frame frame;
      frame.conn_id = id;
      frame.kind = FrameKind::kUnencrypted;
      frame.packet = packet;
      stage.on_frame(frame);
    };
    send(unencrypted(client.req_pq()));
    send(unencrypted(client.on_res_pq(unencrypted_body(sink.packets.back())).value()));
  }
  // Connections 1 and 2 share an address, so the second handshake is refused at
  // req_DH_params (where the permit is taken); 3 has its own.
  EXPECT_EQ(asked, (std::vector<ConnId>{1, 2, 3}));
  EXPECT_EQ(sink.packets.size(), 5u);
  EXPECT_EQ(sink.transport_errors, std::vector<int32_t>{-429});
}

TEST_F(EdgeStageTest, CloseForgetsTheConnection) {
  add_key(sample_key());
  feed(from_hex(mtedge::test::kPayloadHex));
  stage_->on_close(kConn, backend::CloseReason::kPeerClosed);
  EXPECT_EQ(closes_, 1);
  backend::OutboundMessage out;
  Bytes body(8, 0);
  out.body = body;
  EXPECT_TRUE(stage_->send_message(kConn, out));  // ignored: gone
  EXPECT_TRUE(sink_.packets.empty());
}

// Costly handshake steps go through `offload`; the test runs the jobs and the posted results
// by hand, so it can close the connection (or drop the stage) in between.
class OffloadedEdgeStageTest : public EdgeStageTest {
 protected:
  void SetUp() override {
    EdgeStageOptions options;
    options.offload = [this](std::function<void()> job) {
      if (refuse_jobs_) return false;
      jobs_.push_back(std::move(job));
      return true;
    };
    options.post = [this](std::function<void()> task) { posted_.push_back(std::move(task)); };
    start(std::move(options));
  }
  // run_jobs does what a crypto thread would (every queued job), run_posted what the loop would.
  void run_jobs() {
    auto jobs = std::move(jobs_);
    jobs_.clear();
    for (auto& job : jobs) job();
  }
  void run_posted() {
    auto posted = std::move(posted_);
    posted_.clear();
    for (auto& task : posted) task();
  }
  std::vector<std::function<void()>> jobs_;
  std::vector<std::function<void()>> posted_;
  bool refuse_jobs_ = false;  // the crypto queue is full
};

TEST_F(OffloadedEdgeStageTest, CostlyStepsLeaveTheLoopAndReadingPausesMeanwhile) {
  mtproto::HandshakeClient client = new_client();
  EXPECT_TRUE(feed(unencrypted(client.req_pq())));  // cheap: inline
  ASSERT_EQ(sink_.packets.size(), 1u);
  EXPECT_TRUE(jobs_.empty());
  auto req_dh = client.on_res_pq(unencrypted_body(sink_.packets[0]));
  ASSERT_TRUE(req_dh.is_ok());
  EXPECT_FALSE(feed(unencrypted(*req_dh)));  // paused
  ASSERT_EQ(jobs_.size(), 1u);
  EXPECT_EQ(sink_.packets.size(), 1u);
  run_jobs();
  EXPECT_EQ(sink_.packets.size(), 1u);  // the reply leaves from the loop
  run_posted();
  ASSERT_EQ(sink_.packets.size(), 2u);
  EXPECT_EQ(sink_.resumed, std::vector<ConnId>{kConn});
  auto set_dh = client.on_server_dh_params(unencrypted_body(sink_.packets[1]));
  ASSERT_TRUE(set_dh.is_ok());
  EXPECT_FALSE(feed(unencrypted(*set_dh)));
  run_jobs();
  run_posted();
  ASSERT_EQ(sink_.packets.size(), 3u);
  auto gen = client.on_dh_gen(unencrypted_body(sink_.packets[2]));
  ASSERT_TRUE(gen.is_ok()) << gen.message();
  EXPECT_EQ(gen->kind, mtproto::HandshakeClient::GenResult::Kind::kOk);
  ASSERT_EQ(created_.size(), 1u);
  EXPECT_EQ(sink_.resumed.size(), 2u);
}

// A full crypto queue sheds the step on the loop: -429, nothing queued, no pause.
TEST_F(OffloadedEdgeStageTest, AFullCryptoQueueRefusesWith429) {
  mtproto::HandshakeClient client = new_client();
  feed(unencrypted(client.req_pq()));
  auto req_dh = client.on_res_pq(unencrypted_body(sink_.packets[0]));
  ASSERT_TRUE(req_dh.is_ok());
  refuse_jobs_ = true;
  EXPECT_TRUE(feed(unencrypted(*req_dh)));
  EXPECT_TRUE(jobs_.empty());
  EXPECT_EQ(sink_.transport_errors, std::vector<int32_t>{mtproto::kTransportErrorFlood});
}

// A client that piles packets behind its step is closed; the held ones never reach the adapter.
TEST_F(OffloadedEdgeStageTest, PacketsPiledBehindAStepCloseTheConnection) {
  add_key(sample_key());
  sink_.after_close = [&](ConnId id) { stage_->on_close(id, backend::CloseReason::kAdapter); };
  mtproto::HandshakeClient client = new_client();
  feed(unencrypted(client.req_pq()));
  auto req_dh = client.on_res_pq(unencrypted_body(sink_.packets[0]));
  EXPECT_FALSE(feed(unencrypted(*req_dh)));
  for (int i = 0; i < 64; ++i) EXPECT_FALSE(feed(from_hex(mtedge::test::kPayloadHex)));
  EXPECT_TRUE(sink_.closes.empty());
  EXPECT_FALSE(feed(from_hex(mtedge::test::kPayloadHex)));
  ASSERT_EQ(sink_.closes.size(), 1u);
  run_jobs();
  run_posted();
  EXPECT_TRUE(frames_.empty());
}

// Frames read before the pause took effect wait for the step, and keep their order.
TEST_F(OffloadedEdgeStageTest, FramesReadDuringAStepFollowItsReply) {
  add_key(sample_key());
  mtproto::HandshakeClient client = new_client();
  feed(unencrypted(client.req_pq()));
  auto req_dh = client.on_res_pq(unencrypted_body(sink_.packets[0]));
  EXPECT_FALSE(feed(unencrypted(*req_dh)));
  EXPECT_FALSE(feed(from_hex(mtedge::test::kPayloadHex), /*quick_ack=*/true));
  EXPECT_TRUE(frames_.empty());
  EXPECT_TRUE(sink_.quick_acks.empty());
  run_jobs();
  run_posted();
  EXPECT_EQ(sink_.packets.size(), 2u);  // server_DH_params_ok ...
  ASSERT_EQ(frames_.size(), 1u);        // ... then the held frame
  EXPECT_EQ(sink_.quick_acks.size(), 1u);
  EXPECT_EQ(sink_.resumed, std::vector<ConnId>{kConn});
}

// The connection closes while its step runs: the result is dropped, nothing is sent, the
// permit comes back (ASan: no use of freed connection state).
TEST_F(OffloadedEdgeStageTest, ResultForAClosedConnectionIsDropped) {
  mtproto::HandshakeClient client = new_client();
  feed(unencrypted(client.req_pq()));
  auto req_dh = client.on_res_pq(unencrypted_body(sink_.packets[0]));
  EXPECT_FALSE(feed(unencrypted(*req_dh)));
  stage_->on_close(kConn, backend::CloseReason::kPeerClosed);
  run_jobs();
  run_posted();
  EXPECT_EQ(sink_.packets.size(), 1u);
  EXPECT_TRUE(sink_.resumed.empty());
  EXPECT_EQ(crypto_->handshake()->limiter()->in_flight(), 0u);
  EXPECT_EQ(crypto_->handshake()->exchanges(0), 0u);
}

// The stage goes (worker shutdown) while a step runs: its result finds nobody.
TEST_F(OffloadedEdgeStageTest, ResultAfterTheStageWentIsDropped) {
  mtproto::HandshakeClient client = new_client();
  feed(unencrypted(client.req_pq()));
  auto req_dh = client.on_res_pq(unencrypted_body(sink_.packets[0]));
  EXPECT_FALSE(feed(unencrypted(*req_dh)));
  stage_.reset();
  run_jobs();
  EXPECT_TRUE(posted_.empty());
  EXPECT_EQ(sink_.packets.size(), 1u);
}

// The reply of a step closes the connection (its queue overflowed) while frames are held: none
// of them reaches the adapter.
TEST_F(OffloadedEdgeStageTest, HeldFramesOfAConnectionClosedByTheReplyAreDropped) {
  add_key(sample_key());
  mtproto::HandshakeClient client = new_client();
  feed(unencrypted(client.req_pq()));
  auto req_dh = client.on_res_pq(unencrypted_body(sink_.packets[0]));
  feed(unencrypted(*req_dh));
  feed(from_hex(mtedge::test::kPayloadHex), /*quick_ack=*/true);
  sink_.after_packet = [&](ConnId id) { stage_->on_close(id, backend::CloseReason::kLimit); };
  run_jobs();
  run_posted();
  EXPECT_TRUE(frames_.empty());
  EXPECT_TRUE(sink_.quick_acks.empty());
  EXPECT_TRUE(sink_.resumed.empty());
}

// The inner adapter resuming while a step runs does not resume reading before the step is done.
TEST_F(OffloadedEdgeStageTest, InnerResumeWaitsForTheStep) {
  mtproto::HandshakeClient client = new_client();
  feed(unencrypted(client.req_pq()));
  auto req_dh = client.on_res_pq(unencrypted_body(sink_.packets[0]));
  feed(unencrypted(*req_dh));
  stage_->resume_reading(kConn);
  EXPECT_TRUE(sink_.resumed.empty());
  run_jobs();
  run_posted();
  EXPECT_EQ(sink_.resumed, std::vector<ConnId>{kConn});
}

TEST(EdgeCrypto, AuthKeysSurviveReopening) {
  char dir[] = "/tmp/mtedge-edge-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/sub/auth_keys.bin";  // sub/ is created
  {
    auto crypto = open_crypto(path);
    mtproto::StoredAuthKey stored;
    stored.key = sample_key();
    ASSERT_TRUE(crypto->store()->insert(stored).value());
  }
  auto reopened = open_crypto(path);
  auto found = reopened->store()->find(sample_key().id());
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->key.data(), sample_key().data());
  std::remove(path.c_str());
  rmdir((std::string(dir) + "/sub").c_str());
  rmdir(dir);
}

TEST(EdgeCrypto, NoRsaKeysFails) {
  EdgeCrypto crypto;
  CryptoConfig config;
  config.edge_decryption = true;
  Status opened = crypto.open(config);
  EXPECT_FALSE(opened.is_ok());
  EXPECT_FALSE(crypto.is_open());
}

}  // namespace
}  // namespace mtedge::gateway
