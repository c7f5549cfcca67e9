// The embedded API: help.getConfig / help.getNearestDc in the client's layer (parsed back with
// the schema engine), 401 for user methods on a key that is not signed in, 400 naming any other
// method; destroy_auth_key against the key store.
#include "mtproto/auth_keys/destroy_auth_key.h"
#include "mtproto/auth_keys/memory_auth_key_store.h"
#include "mtproto/tl/schema_value.h"
#include "tests/support/embedded_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

namespace tl = mtproto::tl;

constexpr uint32_t kHelpGetConfig = 0xc4f9186b;
constexpr uint32_t kHelpGetNearestDc = 0x1fb33026;

class EmbeddedApiTest : public EmbeddedTest {
 protected:
  // Sends invokeWithLayer(layer, initConnection(query)) on a started session.
  Sent call(int32_t layer, ByteView query) {
    ConnId conn = open(0, ++serial_);
    TestClient c;
    c.session_id = int64_t(serial_) * 1000;
    start_session(conn, c);
    auto replies = send(conn, c, with_layer(layer, query), true);
    EXPECT_EQ(replies.size(), 1u);
    EXPECT_EQ(replies[0].constructor(), ids::kRpcResult);
    EXPECT_EQ(replies[0].req_msg_id(), c.last_msg_id);
    EXPECT_EQ(replies[0].seq_no & 1, 1);
    EXPECT_EQ(replies[0].msg_id & 3, 1);
    return replies.empty() ? Sent{} : replies[0];
  }
  uint64_t serial_ = 0;
};

void check_config(const tl::SchemaSet& schemas, int answer_layer, const Sent& reply,
                  uint32_t expected_id) {
  SCOPED_TRACE(answer_layer);
  ASSERT_EQ(reply.result_constructor(), expected_id);
  TlReader r(reply.result());
  auto parsed = tl::parse(*schemas.layer(answer_layer), r, "Config");
  ASSERT_TRUE(parsed.is_ok()) << parsed.message();
  EXPECT_TRUE(r.at_end());
  const tl::Object& config = parsed->as_object();
  EXPECT_EQ(config.name, "config");
  EXPECT_EQ(config.get("this_dc")->as_int(), 2);
  EXPECT_NEAR(config.get("date")->as_int(), now_s(), 5);
  EXPECT_GT(config.get("expires")->as_int(), config.get("date")->as_int());
  EXPECT_FALSE(config.get("test_mode")->as_bool());
  EXPECT_GT(config.get("message_length_max")->as_int(), 0);
  const auto& options = config.get("dc_options")->as_vector();
  ASSERT_EQ(options.size(), 1u);
  const tl::Object& option = options[0].as_object();
  EXPECT_EQ(option.name, "dcOption");
  EXPECT_EQ(option.get("id")->as_int(), 2);
  EXPECT_EQ(option.get("ip_address")->as_string(), "10.1.2.3");
  EXPECT_EQ(option.get("port")->as_int(), 8443);
}

TEST_F(EmbeddedApiTest, GetConfigInLayer144And193And228) {
  const auto& schemas = service().schemas();
  check_config(schemas, 144, call(144, u32_body(kHelpGetConfig)), 0x330b4067);
  check_config(schemas, 193, call(193, u32_body(kHelpGetConfig)), 0xcc1a241e);
  check_config(schemas, 228, call(228, u32_body(kHelpGetConfig)), 0xcc1a241e);
  // Layers between shipped ones get the newest shipped one below.
  check_config(schemas, 144, call(160, u32_body(kHelpGetConfig)), 0x330b4067);
  check_config(schemas, 193, call(200, u32_body(kHelpGetConfig)), 0xcc1a241e);
  check_config(schemas, 228, call(300, u32_body(kHelpGetConfig)), 0xcc1a241e);
}

TEST_F(EmbeddedApiTest, GetNearestDc) {
  Sent reply = call(144, u32_body(kHelpGetNearestDc));
  TlReader r(reply.result());
  auto parsed = tl::parse(*service().schemas().layer(144), r, "NearestDc");
  ASSERT_TRUE(parsed.is_ok()) << parsed.message();
  EXPECT_EQ(parsed->as_object().get("this_dc")->as_int(), 2);
  EXPECT_EQ(parsed->as_object().get("nearest_dc")->as_int(), 2);
}

TEST_F(EmbeddedApiTest, UsersGetUsersOnAKeyNotSignedInIs401) {
  // What Telethon's connect() sends: users.getUsers([inputUserSelf]).
  tl::Object input_self("inputUserSelf");
  tl::Object query("users.getUsers");
  query.set("id", tl::Value::vector({tl::Value::object(input_self)}));
  Bytes body;
  TlWriter w(body);
  ASSERT_TRUE(tl::serialize_object(*service().schemas().layer(144), query, w).is_ok());
  EXPECT_EQ(load_le32(body.data()), 0x0d91a548u);
  Sent reply = call(144, body);
  EXPECT_EQ(rpc_error_of(reply), std::make_pair(401, std::string("AUTH_KEY_UNREGISTERED")));
  // Any other user method too.
  const auto* send_message = service().schemas().layer(193)->by_name("messages.sendMessage");
  ASSERT_NE(send_message, nullptr);
  Bytes id;
  TlWriter(id).write_uint32(send_message->id);
  EXPECT_EQ(rpc_error_of(call(193, id)).first, 401);
}

TEST_F(EmbeddedApiTest, OtherMethodsAre400NamingTheMethod) {
  const auto* export_login = service().schemas().layer(144)->by_name("auth.exportLoginToken");
  ASSERT_NE(export_login, nullptr);
  Bytes body;
  TlWriter(body).write_uint32(export_login->id);
  EXPECT_EQ(rpc_error_of(call(144, body)),
            std::make_pair(400, std::string("METHOD_NOT_SUPPORTED: auth.exportLoginToken")));
  // A method only a newer layer has is named from that layer.
  const auto* newer = service().schemas().layer(228)->by_name("messages.getSavedDialogs");
  ASSERT_NE(newer, nullptr);
  ASSERT_EQ(service().schemas().layer(144)->by_id(newer->id), nullptr);
  Bytes newer_body;
  TlWriter(newer_body).write_uint32(newer->id);
  EXPECT_EQ(rpc_error_of(call(144, newer_body)),
            std::make_pair(400, std::string("METHOD_NOT_SUPPORTED: messages.getSavedDialogs")));
  // An id no layer knows.
  EXPECT_EQ(rpc_error_of(call(144, u32_body(0xdeadbeef))),
            std::make_pair(400, std::string("METHOD_NOT_SUPPORTED: #deadbeef")));
}

TEST_F(EmbeddedApiTest, InitConnectionWithParamsAndProxyIsUnwrapped) {
  TestClient c;
  ConnId conn = open_session(c, 0, 99);
  Bytes body;
  TlWriter w(body);
  w.write_uint32(ids::kInvokeWithLayer);
  w.write_int32(193);
  w.write_uint32(ids::kInitConnection);
  w.write_uint32(3);  // proxy + params
  w.write_int32(4);
  for (const char* s : {"dev", "os", "app", "en", "tdesktop", "en"}) w.write_string(s);
  w.write_uint32(ids::kInputClientProxy);
  w.write_string("proxy.example");
  w.write_int32(443);
  w.write_uint32(0x3f6d7b68);  // jsonNull
  w.write_uint32(kHelpGetConfig);
  auto replies = send(conn, c, body, true);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].result_constructor(), 0xcc1a241eu);
}

TEST_F(EmbeddedTest, DestroyAuthKeyErasesTheKeyAndClosesItsConnections) {
  auto store_result = mtproto::MemoryAuthKeyStore::open({});
  ASSERT_TRUE(store_result.is_ok());
  std::shared_ptr<mtproto::AuthKeyStore> store = std::move(store_result.value());
  std::array<uint8_t, 256> raw{};
  raw.fill(7);
  mtproto::StoredAuthKey key;
  key.key = mtproto::AuthKey(raw);
  ASSERT_TRUE(store->put(key).is_ok());
  service().set_auth_key_store(store);

  TestClient c;
  c.auth_key_id = key.id();
  ConnId a = open(0, 1);
  ConnId b = open(1, 2);
  start_session(a, c);
  TestClient other = c;
  other.session_id += 1;
  other.content_sent = 0;
  send(b, other, ping_body(1), false);

  auto replies = send(a, c, u32_body(ids::kDestroyAuthKey), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), mtproto::kDestroyAuthKeyOk);
  EXPECT_EQ(store->find(key.id()), nullptr);
  ASSERT_EQ(sink_.closed.size(), 2u);
  EXPECT_EQ(service().stats().sessions, 0u);

  // Without a key store the answer is destroy_auth_key_fail.
  service().set_auth_key_store(nullptr);
  TestClient third;
  ConnId d = open(0, 3);
  start_session(d, third);
  replies = send(d, third, u32_body(ids::kDestroyAuthKey), false);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].constructor(), mtproto::kDestroyAuthKeyFail);
}

TEST_F(EmbeddedTest, NonDecryptedFramesCloseTheConnection) {
  ConnId conn = open(0, 1);
  Frame f;
  f.conn_id = conn;
  f.kind = FrameKind::kEncrypted;
  Bytes packet(64, 1);
  f.packet = packet;
  EXPECT_TRUE(adapters_[0]->on_frame(f));
  ASSERT_EQ(sink_.closed.size(), 1u);
  EXPECT_EQ(sink_.closed[0].first, conn);
}

}  // namespace
}  // namespace mtedge::backend::embedded::testing
