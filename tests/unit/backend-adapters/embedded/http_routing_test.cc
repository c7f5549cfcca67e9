// Routing by session across HTTP connections: content-related messages take the request held
// longest on any connection of the session; what no request can carry waits for the next one.
#include "tests/support/embedded_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

Bytes http_wait_body(int32_t max_wait) {
  Bytes b;
  TlWriter w(b);
  w.write_uint32(ids::kHttpWait);
  w.write_int32(0);  // max_delay
  w.write_int32(0);  // wait_after
  w.write_int32(max_wait);
  return b;
}

struct Item {
  int64_t msg_id;
  int32_t seq_no;
  uint32_t constructor;
};
// The messages of a msg_container answer.
std::vector<Item> container_items(const Sent& s) {
  TlReader r(s.body);
  r.expect(ids::kMsgContainer);
  std::vector<Item> items(r.read_uint32());
  for (Item& item : items) {
    item.msg_id = r.read_int64();
    item.seq_no = r.read_int32();
    auto size = static_cast<size_t>(r.read_int32());
    ByteView body = r.read_raw(size);
    item.constructor = load_le32(body.data());
  }
  return items;
}

// `sent` is one answer on `conn`: the pushed message (constructor 0x74ae4240) that waited for
// the session's next request, then that request's pong, in one container.
void expect_push_then_pong(const std::vector<Sent>& sent, ConnId conn) {
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].conn, conn);
  auto items = container_items(sent[0]);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].constructor, 0x74ae4240u);
  EXPECT_EQ(items[1].constructor, ids::kPong);
}

class EmbeddedHttpRoutingTest : public EmbeddedTest {
 protected:
  // A session opened (and new_session_created acknowledged) on a stream connection that is
  // closed again, so only the HTTP connections of the test are left.
  void start_on_stream(TestClient& c) {
    ConnId setup = open(0, 100);
    start_session(setup, c);
    close(setup);
  }
};

TEST_F(EmbeddedHttpRoutingTest, ContentLeavesThroughTheLongestHeldRequest) {
  TestClient c;
  start_on_stream(c);
  ConnId a = open_http(0, 1);
  ConnId b = open_http(1, 2);

  // A long poll on A: nothing to answer, held.
  EXPECT_TRUE(send(a, c, http_wait_body(20000), false).empty());

  // A ping on B is answered on B (a pong belongs to its own request).
  auto sent = send(b, c, ping_body(5), false);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].conn, b);
  EXPECT_EQ(sent[0].constructor(), ids::kPong);

  // A push for the session leaves through A's held request.
  sink_.sent.clear();
  ASSERT_TRUE(service().push(c.auth_key_id, c.session_id, u32_body(0x74ae4240)));
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].conn, a);
  EXPECT_EQ(sink_.sent[0].constructor(), 0x74ae4240u);
  const int64_t pushed = sink_.sent[0].msg_id;

  // A's poll is renewed; an RPC sent on B: its rpc_result (content-related) takes A's request,
  // B's request stays held.
  EXPECT_TRUE(send(a, c, http_wait_body(20000), false).empty());
  sent = send(b, c, with_layer(144, u32_body(0x1fb33026)), true);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].conn, a);
  EXPECT_EQ(sent[0].constructor(), ids::kRpcResult);
  const int64_t result = sent[0].msg_id;

  // A ping on B while B's earlier request is held: the pong answers B (its oldest request).
  sent = send(b, c, ids_body(ids::kMsgsAck, {pushed, result}), false);
  EXPECT_TRUE(sent.empty());
  sent = send(b, c, ping_body(6), false);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].conn, b);
  EXPECT_EQ(sent[0].constructor(), ids::kPong);
}

TEST_F(EmbeddedHttpRoutingTest, PushWithNoHeldRequestWaitsForTheSessionsNextRequest) {
  TestClient c;
  start_on_stream(c);
  ConnId a = open_http(0, 1);
  ConnId b = open_http(1, 2);
  ASSERT_EQ(send(a, c, ping_body(1), false).size(), 1u);  // answered: A holds nothing

  sink_.sent.clear();
  ASSERT_TRUE(service().push(c.auth_key_id, c.session_id, u32_body(0x74ae4240)));
  EXPECT_TRUE(sink_.sent.empty());

  // The next request of the session, on the other connection, carries it.
  expect_push_then_pong(send(b, c, ping_body(2), false), b);
}

TEST_F(EmbeddedHttpRoutingTest, DeliveryRacingAnExpiredPollIsNotLost) {
  TestClient c;
  start_on_stream(c);
  ConnId a = open_http(0, 1);
  ConnId b = open_http(1, 2);
  uv_update_time(&loop_);
  EXPECT_TRUE(send(a, c, http_wait_body(0), false).empty());  // held, due now

  // The push is routed to A's held request, but A's poll expires before the delivery runs.
  defer_posts_ = true;
  sink_.sent.clear();
  ASSERT_TRUE(service().push(c.auth_key_id, c.session_id, u32_body(0x74ae4240)));
  ASSERT_EQ(posted_.size(), 1u);
  uv_run(&loop_, UV_RUN_NOWAIT);
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].conn, a);
  EXPECT_TRUE(container_items(sink_.sent[0]).empty());  // the expired poll's empty container
  run_posted();
  EXPECT_EQ(sink_.sent.size(), 1u);  // A has no request left: not sent there
  defer_posts_ = false;

  // Resent with the session's next request.
  expect_push_then_pong(send(b, c, ping_body(3), false), b);
}

TEST_F(EmbeddedHttpRoutingTest, DeliveryToAClosedConnectionGoesToAnotherHeldRequest) {
  TestClient c;
  start_on_stream(c);
  ConnId a = open_http(0, 1);
  ConnId b = open_http(1, 2);
  EXPECT_TRUE(send(a, c, http_wait_body(20000), false).empty());
  EXPECT_TRUE(send(b, c, http_wait_body(20000), false).empty());

  defer_posts_ = true;
  sink_.sent.clear();
  ASSERT_TRUE(service().push(c.auth_key_id, c.session_id, u32_body(0x74ae4240)));
  close(a);  // A held longest, but it is gone when the delivery runs
  defer_posts_ = false;
  run_posted();
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].conn, b);
  EXPECT_EQ(sink_.sent[0].constructor(), 0x74ae4240u);
}

}  // namespace
}  // namespace mtedge::backend::embedded::testing
