// Session layer of the embedded adapter driven with decrypted frames (docs/spec/wire-notes.md §8).
#include <atomic>

#include "backend-adapters/embedded/session/gzip.h"
#include "mtproto/tl/schema.h"
#include "tests/support/embedded_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

TEST_F(EmbeddedTest, WrongSaltGetsBadServerSaltThenSucceeds) {
  ConnId conn = open(0, 1);
  TestClient c;
  int64_t id = c.next_msg_id();
  auto replies = send_raw(conn, c, id, 1, ping_body(7), 0);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kBadServerSalt);
  BadMsg bad = bad_msg_of(replies[0]);
  EXPECT_EQ(bad.bad_msg_id, id);
  EXPECT_EQ(bad.bad_seq_no, 1);
  EXPECT_EQ(bad.code, 48);
  TlReader r(replies[0].body);
  r.read_raw(20);
  int64_t salt = r.read_int64();
  EXPECT_EQ(salt, service().current_salt(c.auth_key_id, now_s()));
  EXPECT_EQ(replies[0].msg_id & 3, 1);  // an answer

  c.salt = salt;
  replies = send(conn, c, ping_body(7), true);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].constructor(), ids::kNewSessionCreated);
  EXPECT_EQ(replies[0].msg_id & 3, 3);  // not an answer
  EXPECT_EQ(replies[0].seq_no % 2, 1);  // content-related
  TlReader nsc(replies[0].body);
  nsc.read_uint32();
  EXPECT_EQ(nsc.read_int64(), c.last_msg_id);  // first_msg_id
  nsc.read_int64();
  EXPECT_EQ(nsc.read_int64(), salt);
  EXPECT_EQ(replies[1].constructor(), ids::kPong);
  EXPECT_EQ(replies[1].msg_id & 3, 1);
  EXPECT_EQ(replies[1].seq_no % 2, 0);
  EXPECT_GT(replies[1].msg_id, replies[0].msg_id);
  EXPECT_EQ(replies[1].salt, salt);
  EXPECT_EQ(replies[1].session_id, c.session_id);
  // Server msg_ids carry the server's time.
  EXPECT_NEAR(double(replies[1].msg_id >> 32), now_s(), 2.0);
}

TEST_F(EmbeddedTest, HandshakeSaltReportedByTheEdgeIsAccepted) {
  ConnId conn = open(0, 1);
  TestClient c;
  service().on_auth_key_created(c.auth_key_id, 0x5a5a5a5a);
  c.salt = 0x5a5a5a5a;
  auto replies = send(conn, c, ping_body(1), true);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[1].constructor(), ids::kPong);
}

TEST_F(EmbeddedTest, PingPong) {
  TestClient c;
  ConnId conn = open_session(c);
  auto replies = send(conn, c, ping_body(0x1234), false);
  ASSERT_EQ(replies.size(), 1u);
  TlReader r(replies[0].body);
  EXPECT_TRUE(r.expect(ids::kPong));
  EXPECT_EQ(r.read_int64(), c.last_msg_id);
  EXPECT_EQ(r.read_int64(), 0x1234);
}

TEST_F(EmbeddedTest, DuplicateMsgIdExecutesOnceAndRepeatsTheAnswer) {
  std::atomic<int> calls{0};
  service().dispatcher().add("help.getNearestDc", [&](const api::CallContext&, ByteView) {
    ++calls;
    return u32_body(0x8e1a1775);  // not a full nearestDc; only the call count matters here
  });
  TestClient c;
  ConnId conn = open_session(c);
  int64_t id = c.next_msg_id();
  int32_t seq = c.next_seq(true);
  Bytes query = with_layer(144, u32_body(0x1fb33026));
  auto first = send_raw(conn, c, id, seq, query, c.salt);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].constructor(), ids::kRpcResult);
  EXPECT_EQ(first[0].req_msg_id(), id);
  auto again = send_raw(conn, c, id, seq, query, c.salt);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].msg_id, first[0].msg_id);
  EXPECT_EQ(again[0].body, first[0].body);
  EXPECT_EQ(calls.load(), 1);
  // After the ack the answer is still known: a third copy gets it again, still not executed.
  send(conn, c, ids_body(ids::kMsgsAck, {first[0].msg_id}), false);
  auto third = send_raw(conn, c, id, seq, query, c.salt);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].msg_id, first[0].msg_id);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(EmbeddedTest, MsgIdTooOldTooNewAndBadParity) {
  TestClient c;
  ConnId conn = open_session(c);
  struct Case {
    int64_t msg_id;
    int32_t code;
  } cases[] = {
      {c.next_msg_id(-400), 16},
      {c.next_msg_id(+60), 17},
      {c.next_msg_id() | 1, 18},
      {c.next_msg_id() | 2, 18},
  };
  for (const auto& tc : cases) {
    auto replies = send_raw(conn, c, tc.msg_id, 1, ping_body(1), c.salt);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].constructor(), ids::kBadMsgNotification);
    BadMsg bad = bad_msg_of(replies[0]);
    EXPECT_EQ(bad.bad_msg_id, tc.msg_id);
    EXPECT_EQ(bad.code, tc.code);
  }
  // Inside the window (290 s old) is fine; being lower than the session's first message it
  // repeats new_session_created with that id as first_msg_id, and the session's unique_id.
  int64_t old_id = c.next_msg_id(-290);
  auto replies = send_raw(conn, c, old_id, 0, ping_body(1), c.salt);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].constructor(), ids::kNewSessionCreated);
  TlReader r(replies[0].body);
  r.read_uint32();
  EXPECT_EQ(r.read_int64(), old_id);
  const uint64_t unique_id = r.read_uint64();
  EXPECT_EQ(replies[1].constructor(), ids::kPong);
  int64_t older_id = c.next_msg_id(-295);
  replies = send_raw(conn, c, older_id, 0, ping_body(1), c.salt);
  ASSERT_EQ(replies.size(), 2u);
  ASSERT_EQ(replies[0].constructor(), ids::kNewSessionCreated);
  TlReader again(replies[0].body);
  again.read_uint32();
  EXPECT_EQ(again.read_int64(), older_id);
  EXPECT_EQ(again.read_uint64(), unique_id);  // the same session
}

TEST_F(EmbeddedTest, SeqNoErrors) {
  TestClient c;
  ConnId conn = open_session(c);
  Bytes query = with_layer(144, u32_body(0xc4f9186b));
  // An API query with an even seq_no: 35.
  auto replies = send_raw(conn, c, c.next_msg_id(), c.content_sent * 2, query, c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(bad_msg_of(replies[0]).code, 35);
  // msgs_ack with an odd seq_no: 34.
  replies = send_raw(conn, c, c.next_msg_id(), c.content_sent * 2 + 1, ids_body(ids::kMsgsAck, {}),
                     c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(bad_msg_of(replies[0]).code, 34);
  // Lower than an earlier content-related message counted: 32.
  ASSERT_GE(c.content_sent, 1);
  replies = send_raw(conn, c, c.next_msg_id(), 0, ping_body(1), c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(bad_msg_of(replies[0]).code, 32);
  // A later id with seq 2k arrives first; an earlier id claiming more (2k+3) is too high: 33.
  int64_t early = c.next_msg_id();
  int64_t late = c.next_msg_id();
  int32_t base = c.content_sent * 2;
  replies = send_raw(conn, c, late, base, ping_body(2), c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kPong);
  replies = send_raw(conn, c, early, base + 3, ping_body(3), c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(bad_msg_of(replies[0]).code, 33);
}

TEST_F(EmbeddedTest, ContainerWithMixedContent) {
  TestClient c;
  ConnId conn = open_session(c);
  int64_t ping_id = c.next_msg_id();
  int32_t ping_seq = c.next_seq(false);
  int64_t query_id = c.next_msg_id();
  int32_t query_seq = c.next_seq(true);
  int64_t ack_id = c.next_msg_id();
  int32_t ack_seq = c.next_seq(false);
  Bytes body = container_body({{ping_id, ping_seq, ping_body(5)},
                               {query_id, query_seq, with_layer(144, u32_body(0x1fb33026))},
                               {ack_id, ack_seq, ids_body(ids::kMsgsAck, {})}});
  auto replies = send_raw(conn, c, c.next_msg_id(), c.next_seq(false), body, c.salt);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].constructor(), ids::kPong);
  EXPECT_EQ(replies[1].constructor(), ids::kRpcResult);
  EXPECT_EQ(replies[1].req_msg_id(), query_id);
  EXPECT_EQ(replies[1].result_constructor(), 0x8e1a1775u);  // nearestDc

  // Empty container: legal, nothing to answer.
  replies = send_raw(conn, c, c.next_msg_id(), c.next_seq(false), container_body({}), c.salt);
  EXPECT_TRUE(replies.empty());

  // Nested container: 64.
  int64_t inner = c.next_msg_id();
  Bytes nested = container_body({{inner, c.next_seq(false), container_body({})}});
  int64_t outer = c.next_msg_id();
  replies = send_raw(conn, c, outer, c.next_seq(false), nested, c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(bad_msg_of(replies[0]).code, 64);
  EXPECT_EQ(bad_msg_of(replies[0]).bad_msg_id, outer);

  // Inner id not below the container's: 64.
  int64_t container_id = c.next_msg_id();
  Bytes bad_order = container_body({{c.next_msg_id(), 0, ping_body(1)}});
  replies = send_raw(conn, c, container_id, c.next_seq(false), bad_order, c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(bad_msg_of(replies[0]).code, 64);

  // A container reusing an earlier id: 19.
  int64_t inner_ping = c.next_msg_id();
  int64_t reused = c.next_msg_id();
  Bytes one = container_body({{inner_ping, c.next_seq(false), ping_body(9)}});
  replies = send_raw(conn, c, reused, c.content_sent * 2, one, c.salt);
  ASSERT_EQ(replies.size(), 1u);
  replies = send_raw(conn, c, reused, c.content_sent * 2, container_body({}), c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(bad_msg_of(replies[0]).code, 19);
}

TEST_F(EmbeddedTest, GzipPackedQuery) {
  TestClient c;
  ConnId conn = open_session(c);
  Bytes query = with_layer(144, u32_body(0x1fb33026));
  Bytes packed = gzip(query);
  Bytes body;
  TlWriter w(body);
  w.write_uint32(ids::kGzipPacked);
  w.write_bytes(packed);
  auto replies = send(conn, c, body, true);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kRpcResult);
  EXPECT_EQ(replies[0].result_constructor(), 0x8e1a1775u);

  // Corrupt: answered.
  Bytes corrupt_body;
  TlWriter cw(corrupt_body);
  cw.write_uint32(ids::kGzipPacked);
  cw.write_bytes(Bytes(64, 0x55));
  replies = send(conn, c, corrupt_body, true);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(rpc_error_of(replies[0]), std::make_pair(400, std::string("GZIP_PACKED_INVALID")));

  // A bomb over the packet's inflate budget is refused whole (never inflated whole), and the
  // connection is closed.
  Bytes zeros(2u << 20, 0);
  Bytes bomb_body;
  TlWriter bw(bomb_body);
  bw.write_uint32(ids::kGzipPacked);
  bw.write_bytes(gzip(zeros));
  replies = send(conn, c, bomb_body, true);
  EXPECT_TRUE(replies.empty());
  ASSERT_EQ(sink_.closed.size(), 1u);
  EXPECT_EQ(sink_.closed[0].first, conn);
  EXPECT_EQ(service().stats().packets_over_budget, 1u);
}

TEST(EmbeddedGzip, BoundedInflate) {
  Bytes data(100000, 'x');
  auto packed = gzip(data);
  auto ok = gunzip(packed, data.size());
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(ok.value(), data);
  EXPECT_FALSE(gunzip(packed, data.size() - 1).is_ok());
  EXPECT_FALSE(gunzip(ByteView(packed).first(packed.size() / 2), 1u << 20).is_ok());
  Bytes garbage(64, 0x55);
  EXPECT_FALSE(gunzip(garbage, 1u << 20).is_ok());
  EXPECT_FALSE(gunzip({}, 1u << 20).is_ok());
}

TEST_F(EmbeddedTest, FutureSaltsCountIsClamped) {
  TestClient c;
  ConnId conn = open_session(c);
  for (auto [asked, expected] : std::initializer_list<std::pair<int, int>>{
           {0, 1}, {-5, 1}, {1, 1}, {10, 10}, {64, 64}, {1000, 64}}) {
    auto replies = send(conn, c, future_salts_body(asked), false);
    ASSERT_EQ(replies.size(), 1u);
    TlReader r(replies[0].body);
    ASSERT_TRUE(r.expect(ids::kFutureSalts));
    EXPECT_EQ(r.read_int64(), c.last_msg_id);
    EXPECT_NEAR(r.read_int32(), now_s(), 2);
    uint32_t count = r.read_uint32();
    EXPECT_EQ(count, uint32_t(expected)) << "asked " << asked;
    int32_t since = r.read_int32();
    int32_t until = r.read_int32();
    int64_t salt = r.read_int64();
    EXPECT_LE(since, now_s());
    EXPECT_GT(until, now_s());
    EXPECT_EQ(salt, c.salt);  // the first one is the current salt
  }
}

TEST_F(EmbeddedTest, UnackedReplyIsResentOnANewConnectionOfTheSession) {
  TestClient c;
  ConnId a = open_session(c);
  auto replies = send(a, c, with_layer(144, u32_body(0x1fb33026)), true);
  ASSERT_EQ(replies.size(), 1u);
  Sent answer = replies[0];
  close(a);

  // Same session, another worker's connection: the unacknowledged answer goes out first.
  ConnId b = open(1, 2);
  replies = send(b, c, ping_body(3), false);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].conn, b);
  EXPECT_EQ(replies[0].msg_id, answer.msg_id);
  EXPECT_EQ(replies[0].seq_no, answer.seq_no);
  EXPECT_EQ(replies[0].body, answer.body);
  EXPECT_EQ(replies[1].constructor(), ids::kPong);

  // Acknowledged: the next connection gets nothing old.
  send(b, c, ids_body(ids::kMsgsAck, {answer.msg_id}), false);
  close(b);
  ConnId d = open(0, 3);
  replies = send(d, c, ping_body(4), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kPong);
}

TEST_F(EmbeddedTest, PushGoesToALiveConnectionAndWaitsWithoutOne) {
  TestClient c;
  ConnId a = open_session(c, 1, 1);
  sink_.sent.clear();
  ASSERT_TRUE(service().push(c.auth_key_id, c.session_id, u32_body(0x74ae4240)));
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].conn, a);
  EXPECT_EQ(sink_.sent[0].msg_id & 3, 3);
  EXPECT_EQ(sink_.sent[0].seq_no & 1, 1);
  close(a);
  sink_.sent.clear();
  ASSERT_TRUE(service().push(c.auth_key_id, c.session_id, u32_body(0x74ae4240)));
  EXPECT_TRUE(sink_.sent.empty());
  ConnId b = open(0, 2);
  auto replies = send(b, c, ping_body(1), false);
  ASSERT_EQ(replies.size(), 3u);  // both pushed messages (unacked), then the pong
  EXPECT_EQ(replies[2].constructor(), ids::kPong);
  EXPECT_FALSE(service().push(c.auth_key_id, c.session_id + 1, u32_body(0x74ae4240)));
}

TEST_F(EmbeddedTest, PingDelayDisconnectClosesAfterTheDelay) {
  TestClient c;
  ConnId conn = open_session(c);
  uv_update_time(&loop_);  // the loop has not run yet: its cached time dates from SetUp
  double started = now_s();
  auto replies = send(conn, c, ping_delay_body(77, 1), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kPong);
  EXPECT_TRUE(sink_.closed.empty());
  uv_run(&loop_, UV_RUN_ONCE);  // the timer is the only handle: returns when it fired
  ASSERT_EQ(sink_.closed.size(), 1u);
  EXPECT_EQ(sink_.closed[0].first, conn);
  EXPECT_GE(now_s() - started, 0.9);
  close(conn);
}

TEST_F(EmbeddedTest, PingDelayDisconnectIsRearmedAndDroppedOnClose) {
  TestClient c;
  ConnId conn = open_session(c);
  send(conn, c, ping_delay_body(1, 60), false);
  send(conn, c, ping_delay_body(2, 75), false);
  close(conn);  // the timer goes with the connection
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(uv_loop_alive(&loop_), 0);
  EXPECT_TRUE(sink_.closed.empty());
}

TEST_F(EmbeddedTest, MsgsStateReqAndResendReq) {
  TestClient c;
  ConnId conn = open_session(c);
  auto replies = send(conn, c, with_layer(144, u32_body(0x1fb33026)), true);
  ASSERT_EQ(replies.size(), 1u);
  int64_t query_id = c.last_msg_id;
  Sent answer = replies[0];

  int64_t unknown_future = c.next_msg_id(+100);
  replies = send(conn, c, ids_body(ids::kMsgsStateReq, {query_id, unknown_future}), false);
  ASSERT_EQ(replies.size(), 1u);
  TlReader r(replies[0].body);
  ASSERT_TRUE(r.expect(ids::kMsgsStateInfo));
  EXPECT_EQ(r.read_int64(), c.last_msg_id);
  auto info = r.read_bytes();
  ASSERT_EQ(info.size(), 2u);
  EXPECT_EQ(info[0], 4 | 32 | 64);
  EXPECT_EQ(info[1], 3);

  replies = send(conn, c, ids_body(ids::kMsgResendReq, {answer.msg_id}), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].msg_id, answer.msg_id);
  EXPECT_EQ(replies[0].body, answer.body);

  replies = send(conn, c, ids_body(ids::kMsgResendReq, {answer.msg_id + 4}), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kMsgsStateInfo);
}

TEST_F(EmbeddedTest, RpcDropAnswer) {
  TestClient c;
  ConnId conn = open_session(c);
  auto replies = send(conn, c, with_layer(144, u32_body(0x1fb33026)), true);
  ASSERT_EQ(replies.size(), 1u);
  Sent answer = replies[0];
  int64_t query_id = c.last_msg_id;
  replies = send(conn, c, id_body(ids::kRpcDropAnswer, query_id), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kRpcResult);
  EXPECT_EQ(replies[0].req_msg_id(), c.last_msg_id);
  TlReader r(replies[0].result());
  ASSERT_TRUE(r.expect(ids::kRpcAnswerDropped));
  EXPECT_EQ(r.read_int64(), answer.msg_id);
  EXPECT_EQ(r.read_int32(), answer.seq_no);
  EXPECT_EQ(r.read_int32(), int32_t(answer.body.size()));
  // Dropped answers are no longer resent; an unknown id is unknown.
  replies = send(conn, c, id_body(ids::kRpcDropAnswer, query_id - 400), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].result_constructor(), ids::kRpcAnswerUnknown);
}

TEST_F(EmbeddedTest, DestroySession) {
  TestClient first;
  ConnId a = open_session(first);
  TestClient second = first;
  second.session_id = first.session_id + 1;
  second.content_sent = 0;
  ConnId b = open(1, 2);
  send(b, second, ping_body(1), false);  // second session exists

  const Bytes body = id_body(ids::kDestroySession, second.session_id);
  auto replies = send(a, first, body, false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kDestroySessionOk);
  replies = send(a, first, body, false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kDestroySessionNone);
  // The destroyed session starts over on its next message.
  replies = send(b, second, ping_body(2), false);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].constructor(), ids::kNewSessionCreated);
}

TEST_F(EmbeddedTest, InvokeWrappersAreUnwrappedAndLayerRemembered) {
  TestClient c;
  ConnId conn = open_session(c);
  // invokeAfterMsg(x, invokeWithoutUpdates(help.getNearestDc)) after invokeWithLayer earlier.
  auto replies = send(conn, c, with_layer(193, u32_body(0xc4f9186b)), true);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].result_constructor(), 0xcc1a241eu);
  Bytes body;
  TlWriter w(body);
  w.write_uint32(ids::kInvokeAfterMsg);
  w.write_int64(c.last_msg_id);
  w.write_uint32(ids::kInvokeWithoutUpdates);
  w.write_uint32(0xc4f9186b);  // help.getConfig, answered in the remembered layer 193
  replies = send(conn, c, body, true);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].result_constructor(), 0xcc1a241eu);
  // A new session of the same key inherits the key's layer.
  TestClient other = c;
  other.session_id += 7;
  other.content_sent = 0;
  replies = send(conn, other, u32_body(0xc4f9186b), true);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[1].result_constructor(), 0xcc1a241eu);
}

class EmbeddedSmallMemoryTest : public EmbeddedTest {
 protected:
  std::string config_text() const override { return "max_remembered_msg_ids = 16\n"; }
};

TEST_F(EmbeddedSmallMemoryTest, ForgottenMsgIdsAreTooOldToKnow) {
  ConnId conn = open(0, 1);
  TestClient c;
  int64_t early = c.next_msg_id();
  start_session(conn, c);
  for (int i = 0; i < 20; ++i) send(conn, c, ping_body(i), false);
  // `early` was never accepted (it is below every remembered id, which were forgotten in order).
  auto replies = send_raw(conn, c, early, 0, ping_body(99), c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), ids::kBadMsgNotification);
  EXPECT_EQ(bad_msg_of(replies[0]).code, 20);
}

TEST_F(EmbeddedTest, MalformedWrapperIsAnsweredNotDropped) {
  TestClient c;
  ConnId conn = open_session(c);
  Bytes body;
  TlWriter w(body);
  w.write_uint32(ids::kInvokeWithLayer);
  w.write_int32(144);
  w.write_uint32(ids::kInitConnection);
  w.write_uint32(0);
  auto replies = send(conn, c, body, true);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(rpc_error_of(replies[0]),
            std::make_pair(400, std::string("INPUT_REQUEST_INVALID: malformed initConnection")));
}

TEST(EmbeddedService, IdleSessionsExpireAndTheSessionCapHolds) {
  double clock = now_s();
  EmbeddedConfig config;
  config.session_idle_expiry_s = 60;
  config.max_sessions = 16;  // rounded up to one per shard (64)
  auto schemas = mtproto::tl::SchemaSet::load_embedded();
  ASSERT_TRUE(schemas.is_ok());
  SessionService svc(config, schemas.value(), [&] { return clock; });
  // One key per session: the process-wide cap, not the per-key one, is what this exercises.
  auto key_of = [](int64_t session) { return uint64_t(42 + session); };
  auto frame_for = [&](int64_t session, ConnId conn, Bytes& body) {
    const uint64_t key = key_of(session);
    Frame f;
    f.conn_id = conn;
    f.kind = FrameKind::kDecrypted;
    f.auth_key_id = key;
    f.salt = svc.current_salt(key, clock);
    f.session_id = session;
    f.msg_id = (int64_t(clock) << 32) | int64_t(conn << 2);
    f.seq_no = 0;
    f.body = body;
    return f;
  };
  Bytes ping = ping_body(1);
  for (int64_t i = 0; i < 200; ++i) {
    Frame f = frame_for(i + 1, ConnId(i + 1), ping);
    Outcome out = svc.handle(f.conn_id, f);
    ASSERT_EQ(out.replies.size(), 2u);
    if (i > 0) svc.detach(f.conn_id, f.auth_key_id, f.session_id);  // session 1 keeps its conn
  }
  auto stats = svc.stats();
  EXPECT_LE(stats.sessions, 65u);  // one per shard, and session 1 (live: never evicted)
  EXPECT_GT(stats.evicted_sessions, 0u);
  clock += 30;
  EXPECT_EQ(svc.sweep(), 0u);
  clock += 31;
  size_t live = svc.stats().sessions;
  EXPECT_EQ(svc.sweep(), live - 1);
  // What is left has a live connection: session 1.
  EXPECT_EQ(svc.stats().sessions, 1u);
}

}  // namespace
}  // namespace mtedge::backend::embedded::testing
