// Work per packet is budgeted (packet_decoder.h): whatever one decrypted packet holds, the
// session layer's CPU for it is bounded, and every stored message goes out at most once per
// packet however often the packet names it.

#include "backend-adapters/embedded/session/gzip.h"
#include "tests/support/embedded_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

constexpr uint32_t kHelpGetConfig = 0xc4f9186b;

// invokeWithLayer(144, initConnection(..., params, help.getConfig)).
Bytes init_with_params(ByteView params) {
  return with_layer(144, u32_body(kHelpGetConfig), params);
}

// A session on a new connection with one answered help.getConfig: its rpc_result.
class EmbeddedBudgetTest : public EmbeddedTest {
 protected:
  Sent answered_query(ConnId conn, TestClient& c) {
    auto replies = send(conn, c, with_layer(144, u32_body(kHelpGetConfig)), true);
    EXPECT_EQ(replies.size(), 1u);
    return replies.empty() ? Sent{} : replies[0];
  }
  // Sends the container `body` (id `id`) and expects the packet refused whole: no answer, the
  // connection closed, one packet counted over budget.
  void expect_refused_whole(ConnId conn, TestClient& c, int64_t id, const Bytes& body) {
    auto replies = send_raw(conn, c, id, c.content_sent * 2, body, c.salt);
    EXPECT_TRUE(replies.empty());
    ASSERT_EQ(sink_.closed.size(), 1u);
    EXPECT_EQ(sink_.closed[0].first, conn);
    EXPECT_EQ(service().stats().packets_over_budget, 1u);
  }
};

// A container of `count` items (increasing ids below the container's), each with `body`.
std::pair<int64_t, Bytes> container_of(TestClient& c, size_t count, ByteView body,
                                       bool content_related) {
  std::vector<ContainerItem> items;
  for (size_t i = 0; i < count; ++i) {
    int64_t id = c.next_msg_id();
    items.push_back({id, c.next_seq(content_related), Bytes(body.begin(), body.end())});
  }
  return {c.next_msg_id(), container_body(items)};
}

TEST_F(EmbeddedBudgetTest, ContainerOfNestedGzipBombsIsRefusedWhole) {
  TestClient c;
  ConnId conn = open_session(c);
  // gzip_packed(gzip_packed(1 MiB of zeros)): about 100 bytes that inflate to 1 MiB.
  Bytes bomb = gzip_packed(gzip_packed(Bytes(1u << 20, 0)));
  ASSERT_LT(bomb.size(), 200u);
  auto [id, body] = container_of(c, 1024, bomb, true);
  expect_refused_whole(conn, c, id, body);
}

TEST_F(EmbeddedBudgetTest, InflatedBytesAreBudgetedPerPacketNotPerItem) {
  TestClient c;
  ConnId conn = open_session(c);
  // Each item alone is under max_inflate_bytes (1 MiB); 64 of them are 16 MiB.
  Bytes item = gzip_packed(Bytes(256 * 1024, 0));
  auto [id, body] = container_of(c, 64, item, true);
  expect_refused_whole(conn, c, id, body);
}

TEST_F(EmbeddedBudgetTest, IdFloodOverTheNodeBudgetIsRefusedWhole) {
  TestClient c;
  ConnId conn = open_session(c);
  for (int i = 0; i < 200; ++i) send(conn, c, init_with_params({}), true);
  std::vector<int64_t> ids(8192);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = c.last_msg_id + int64_t(i) * 4;
  auto [id, body] = container_of(c, 16, ids_body(ids::kMsgsAck, ids), false);  // 131072 ids
  expect_refused_whole(conn, c, id, body);
}

TEST_F(EmbeddedTest, HugeInitConnectionParamsAreSkippedNotBuilt) {
  TestClient c;
  ConnId conn = open_session(c);
  Bytes params = json_nulls(200000);
  auto replies = send(conn, c, init_with_params(params), true);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(rpc_error_of(replies[0]),
            std::make_pair(400, std::string("INPUT_REQUEST_INVALID: malformed initConnection")));
  EXPECT_TRUE(sink_.closed.empty());
}

TEST_F(EmbeddedTest, OrdinaryInitConnectionParamsAreAccepted) {
  TestClient c;
  ConnId conn = open_session(c);
  // {"tz_offset": 3600, "flags": [true, "x", null, {}]}: words, with the strings between.
  constexpr uint32_t kVec = mtproto::kTlVectorId;
  Bytes params;
  TlWriter w(params);
  auto words = [&w](std::initializer_list<uint32_t> values) {
    for (uint32_t v : values) w.write_uint32(v);
  };
  words({ids::kJsonObject, kVec, 2, ids::kJsonObjectValue});
  w.write_string("tz_offset");
  words({ids::kJsonNumber, 0, 0x40ac2000});  // 3600.0
  words({ids::kJsonObjectValue});
  w.write_string("flags");
  words({ids::kJsonArray, kVec, 4, ids::kJsonBool, 0x997275b5 /* boolTrue */, ids::kJsonString});
  w.write_string("x");
  words({ids::kJsonNull, ids::kJsonObject, kVec, 0});
  auto replies = send(conn, c, init_with_params(params), true);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_NE(replies[0].result_constructor(), ids::kRpcError);
  // A malformed JSONValue (an unknown constructor in the array) is a malformed initConnection.
  Bytes bad = json_nulls(1);
  store_le32(bad.data() + 12, 0x12345678);
  replies = send(conn, c, init_with_params(bad), true);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(rpc_error_of(replies[0]),
            std::make_pair(400, std::string("INPUT_REQUEST_INVALID: malformed initConnection")));
}

TEST_F(EmbeddedBudgetTest, ResendRequestNamingOneMessage8192TimesResendsItOnce) {
  TestClient c;
  ConnId conn = open_session(c);
  const Sent answer = answered_query(conn, c);
  auto replies =
      send(conn, c, ids_body(ids::kMsgResendReq, std::vector<int64_t>(8192, answer.msg_id)), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].msg_id, answer.msg_id);
  EXPECT_EQ(replies[0].body, answer.body);
  // msgs_state_req keeps one state byte per id asked (the answer's format), all the same.
  replies =
      send(conn, c, ids_body(ids::kMsgsStateReq, std::vector<int64_t>(8192, c.last_msg_id)), false);
  ASSERT_EQ(replies.size(), 1u);
  TlReader r(replies[0].body);
  ASSERT_TRUE(r.expect(ids::kMsgsStateInfo));
  r.read_int64();
  EXPECT_EQ(r.read_bytes().size(), 8192u);
}

TEST_F(EmbeddedBudgetTest, AContainerRepeatingOneStoredMessageGetsItOnce) {
  TestClient c;
  ConnId conn = open_session(c);
  const Sent answer = answered_query(conn, c);
  const int64_t query_id = c.last_msg_id;
  // 1024 copies of the answered query itself (a duplicate msg_id, answered from the store).
  // (First: after a container of 1024 items the session no longer remembers query_id.)
  Bytes query = with_layer(144, u32_body(kHelpGetConfig));
  std::vector<ContainerItem> items(1024, ContainerItem{query_id, 1, query});
  auto replies =
      send_raw(conn, c, c.next_msg_id(), c.content_sent * 2, container_body(items), c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].msg_id, answer.msg_id);
  // 1024 msg_resend_req items for the same answer.
  auto [id, body] = container_of(c, 1024, ids_body(ids::kMsgResendReq, {answer.msg_id}), false);
  replies = send_raw(conn, c, id, c.content_sent * 2, body, c.salt);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].msg_id, answer.msg_id);
}

}  // namespace
}  // namespace mtedge::backend::embedded::testing
