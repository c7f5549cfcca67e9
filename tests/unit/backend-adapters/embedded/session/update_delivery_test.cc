// Updates from the messenger's methods reach the other sessions through SessionService after
// the caller's session lock is released: every session of the recipient's keys with a live
// connection, and the sender's other sessions, each in its own layer; never the calling
// session, never a session without a connection. destroy_auth_key signs the key out.
#include "mtproto/auth_keys/destroy_auth_key.h"
#include "mtproto/auth_keys/memory_auth_key_store.h"
#include "mtproto/tl/schema_value.h"
#include "tests/support/embedded_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

namespace tl = mtproto::tl;

constexpr uint32_t kUpdateShortMessage = 0x313bc7f8;
constexpr uint32_t kUpdateShortSentMessage = 0x9015e101;

class UpdateDeliveryTest : public EmbeddedTest {
 protected:
  // A user bound to `auth_key_id`, made directly in the state.
  void make_user(int64_t id, uint64_t auth_key_id) {
    service().state().write([&](state::Transaction& txn) {
      txn.apply(state::UserCreated{id, std::to_string(id), "U", "", uint64_t(id) * 7, 1});
      txn.apply(state::KeyBound{auth_key_id, id});
    });
  }
  int64_t access_hash(int64_t target, int64_t viewer) {
    return service().state().read([&](const state::Model& model) {
      return state::Model::access_hash(*model.user(target), viewer);
    });
  }
  // invokeWithLayer(layer, initConnection(messages.sendMessage(...))).
  Bytes send_message(int layer, int64_t to, int64_t hash, std::string text, int64_t random_id) {
    tl::Object peer("inputPeerUser");
    peer.set("user_id", tl::Value::i64(to)).set("access_hash", tl::Value::i64(hash));
    tl::Object q("messages.sendMessage");
    q.set("peer", tl::Value::object(peer))
        .set("message", tl::Value::str(std::move(text)))
        .set("random_id", tl::Value::i64(random_id));
    Bytes query;
    TlWriter writer(query);
    EXPECT_TRUE(tl::serialize_object(*service().schemas().layer(layer), q, writer).is_ok());
    return with_layer(layer, query);
  }
  // The messages `conn` got, by constructor.
  std::vector<uint32_t> got(const std::vector<Sent>& sent, ConnId conn) {
    std::vector<uint32_t> out;
    for (const Sent& s : sent) {
      if (s.conn == conn) out.push_back(s.constructor());
    }
    return out;
  }
  const Sent* first_to(const std::vector<Sent>& sent, ConnId conn) {
    for (const Sent& s : sent) {
      if (s.conn == conn) return &s;
    }
    return nullptr;
  }
};

TEST_F(UpdateDeliveryTest, RecipientAndSendersOtherSessionsGetTheMessage) {
  TestClient alice{0xa1, 1};
  TestClient alice_phone{0xa2, 2};  // the sender's second device (another key)
  TestClient bob{0xb1, 3};
  TestClient bob_gone{0xb1, 4};  // a session of bob's key whose connection closed
  make_user(1000001, 0xa1);
  service().state().write([](state::Transaction& txn) {
    txn.apply(state::KeyBound{0xa2, 1000001});
  });
  make_user(1000002, 0xb1);
  ConnId a = open_session(alice, 0, 1);
  ConnId a2 = open_session(alice_phone, 1, 2);
  ConnId b = open_session(bob, 1, 3);
  ConnId gone = open_session(bob_gone, 0, 4);
  close(gone);
  // Each session announces its layer.
  send(a2, alice_phone, with_layer(228, u32_body(0xedd4882a)), true);  // updates.getState
  send(b, bob, with_layer(193, u32_body(0xedd4882a)), true);

  auto sent =
      send(a, alice, send_message(144, 1000002, access_hash(1000002, 1000001), "hi", 9), true);
  const Sent* answer = first_to(sent, a);
  ASSERT_NE(answer, nullptr);
  ASSERT_EQ(answer->constructor(), ids::kRpcResult);
  EXPECT_EQ(answer->result_constructor(), kUpdateShortSentMessage);
  EXPECT_EQ(got(sent, a).size(), 1u);  // the calling session gets only its answer
  EXPECT_EQ(got(sent, a2), std::vector<uint32_t>{kUpdateShortMessage});
  EXPECT_EQ(got(sent, b), std::vector<uint32_t>{kUpdateShortMessage});
  EXPECT_TRUE(got(sent, gone).empty());

  // Bob's copy, parsed in his layer: his message id, alice as the sender, content-related.
  const Sent* update = first_to(sent, b);
  EXPECT_EQ(update->seq_no & 1, 1);
  EXPECT_EQ(update->msg_id & 3, 3);
  TlReader r(update->body);
  auto parsed = tl::parse(*service().schemas().layer(193), r, "Updates");
  ASSERT_TRUE(parsed.is_ok()) << parsed.message();
  const tl::Object& m = parsed->as_object();
  EXPECT_EQ(m.get("user_id")->as_long(), 1000001);
  EXPECT_EQ(m.get("message")->as_string(), "hi");
  EXPECT_EQ(m.get("out"), nullptr);
  TlReader r2(first_to(sent, a2)->body);
  auto own = tl::parse(*service().schemas().layer(228), r2, "Updates");
  ASSERT_TRUE(own.is_ok()) << own.message();
  EXPECT_TRUE(own->as_object().get("out")->as_bool());
  EXPECT_EQ(own->as_object().get("user_id")->as_long(), 1000002);

  // The same random_id again: the same answer, nobody else hears of it.
  sent = send(a, alice, send_message(144, 1000002, access_hash(1000002, 1000001), "hi", 9), true);
  EXPECT_EQ(got(sent, a).size(), 1u);
  EXPECT_TRUE(got(sent, b).empty());
  EXPECT_TRUE(got(sent, a2).empty());
}

TEST_F(UpdateDeliveryTest, DestroyAuthKeySignsTheKeyOut) {
  auto opened = mtproto::MemoryAuthKeyStore::open({});
  ASSERT_TRUE(opened.is_ok());
  std::shared_ptr<mtproto::AuthKeyStore> store = std::move(opened.value());
  std::array<uint8_t, 256> raw{};
  raw.fill(9);
  mtproto::StoredAuthKey key;
  key.key = mtproto::AuthKey(raw);
  ASSERT_TRUE(store->put(key).is_ok());
  service().set_auth_key_store(store);
  TestClient alice;
  alice.auth_key_id = key.id();
  make_user(1000001, key.id());
  ConnId a = open_session(alice, 0, 1);
  auto replies = send(a, alice, u32_body(ids::kDestroyAuthKey), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), mtproto::kDestroyAuthKeyOk);
  const uint64_t id = key.id();
  EXPECT_EQ(service().state().read([&](const state::Model& m) { return m.user_of_key(id); }), 0);
}

}  // namespace
}  // namespace mtedge::backend::embedded::testing
