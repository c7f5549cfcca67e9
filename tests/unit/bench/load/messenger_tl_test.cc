// mtedge-load's messenger queries and answer readers, checked against the layer-144 schema
// through the TL schema engine: what is written by hand must parse as the schema says, and
// what the schema writes must read back by hand.
#include "bench/load/messenger_tl.h"

#include <gtest/gtest.h>

#include "mtproto/tl/schema_value.h"
#include "mtproto/tl/tl_reader.h"
#include "mtproto/tl/tl_writer.h"

namespace mtedge::bench {
namespace {

namespace tl = mtproto::tl;

const tl::Schema& layer144() {
  static auto set = tl::SchemaSet::load_embedded().value();
  return *set->layer(kMessengerLayer);
}

tl::Value parse(ByteView bytes) {
  mtproto::TlReader r(bytes);
  auto v = tl::parse(layer144(), r, "Object");
  EXPECT_TRUE(v.is_ok());
  EXPECT_TRUE(r.at_end());
  return v.is_ok() ? v.value() : tl::Value();
}

Bytes write(const tl::Object& o) {
  Bytes out;
  mtproto::TlWriter w(out);
  EXPECT_TRUE(tl::serialize_object(layer144(), o, w).is_ok());
  return out;
}

tl::Object user(int64_t id, int64_t access_hash) {
  tl::Object u("user");
  u.set("id", tl::Value::i64(id));
  u.set("access_hash", tl::Value::i64(access_hash));
  u.set("first_name", tl::Value::str("A"));
  return u;
}

tl::Object rpc_error(std::string message) {
  tl::Object e("rpc_error");
  e.set("error_code", tl::Value::i32(420));
  e.set("error_message", tl::Value::str(std::move(message)));
  return e;
}

std::unique_ptr<MessengerTl> messenger() {
  auto m = MessengerTl::load();
  EXPECT_TRUE(m.is_ok());
  return std::move(m.value());
}

TEST(MessengerTl, TestNumbersAndCodes) {
  EXPECT_EQ(test_phone(2, 0), "9996620000");
  EXPECT_EQ(test_phone(2, 127), "9996620127");
  EXPECT_EQ(test_phone(4, 9999), "9996649999");
  EXPECT_EQ(test_code(2), "22222");
}

TEST(MessengerTl, ErrorKindsAndFloodWait) {
  EXPECT_EQ(error_kind("FLOOD_WAIT_3"), "FLOOD_WAIT_X");
  EXPECT_EQ(error_kind("PHONE_CODE_INVALID"), "PHONE_CODE_INVALID");
  EXPECT_EQ(error_kind("INTERNAL"), "INTERNAL");
  EXPECT_EQ(error_kind("FLOOD_WAIT_"), "FLOOD_WAIT_");
  EXPECT_EQ(flood_wait_seconds("FLOOD_WAIT_17"), 17u);
  EXPECT_EQ(flood_wait_seconds("PEER_ID_INVALID"), 0u);
}

TEST(MessengerTl, SendCodeIsWrappedInLayerAndInitConnection) {
  const tl::Value v = parse(messenger()->send_code("9996620001"));
  ASSERT_EQ(v.as_object().name, "invokeWithLayer");
  EXPECT_EQ(v.as_object().get("layer")->as_int(), 144);
  const tl::Object& init = v.as_object().get("query")->as_object();
  ASSERT_EQ(init.name, "initConnection");
  const tl::Object& send_code = init.get("query")->as_object();
  ASSERT_EQ(send_code.name, "auth.sendCode");
  EXPECT_EQ(send_code.get("phone_number")->as_string(), "9996620001");
}

TEST(MessengerTl, SignInQueriesParse) {
  auto m = messenger();
  tl::Value v = parse(m->sign_in("9996620001", "hash", "22222"));
  EXPECT_EQ(v.as_object().name, "auth.signIn");
  EXPECT_EQ(v.as_object().get("phone_code")->as_string(), "22222");
  v = parse(m->sign_up("9996620001", "hash", "Load1"));
  EXPECT_EQ(v.as_object().name, "auth.signUp");
  EXPECT_EQ(v.as_object().get("first_name")->as_string(), "Load1");
  v = parse(m->import_contact("9996620002"));
  ASSERT_EQ(v.as_object().name, "contacts.importContacts");
  EXPECT_EQ(v.as_object().get("contacts")->as_vector()[0].as_object().get("phone")->as_string(),
            "9996620002");
}

TEST(MessengerTl, ReadsEachSignInAnswer) {
  auto m = messenger();
  tl::Object sent("auth.sentCode");
  tl::Object type("auth.sentCodeTypeApp");
  type.set("length", tl::Value::i32(5));
  sent.set("type", tl::Value::object(type));
  sent.set("phone_code_hash", tl::Value::str("abc"));
  SignInAnswer a = m->read_sign_in_answer(write(sent));
  EXPECT_EQ(a.kind, SignInAnswer::Kind::kSentCode);
  EXPECT_EQ(a.phone_code_hash, "abc");

  tl::Object auth("auth.authorization");
  auth.set("user", tl::Value::object(user(42, 7)));
  a = m->read_sign_in_answer(write(auth));
  EXPECT_EQ(a.kind, SignInAnswer::Kind::kSignedIn);
  EXPECT_EQ(a.user.id, 42);

  a = m->read_sign_in_answer(write(tl::Object("auth.authorizationSignUpRequired")));
  EXPECT_EQ(a.kind, SignInAnswer::Kind::kSignUpRequired);

  tl::Object imported("contacts.importedContacts");
  imported.set("imported", tl::Value::vector({}));
  imported.set("popular_invites", tl::Value::vector({}));
  imported.set("retry_contacts", tl::Value::vector({}));
  imported.set("users", tl::Value::vector({tl::Value::object(user(43, -99))}));
  a = m->read_sign_in_answer(write(imported));
  EXPECT_EQ(a.kind, SignInAnswer::Kind::kContact);
  EXPECT_EQ(a.user.id, 43);
  EXPECT_EQ(a.user.access_hash, -99);

  a = m->read_sign_in_answer(write(rpc_error("PHONE_CODE_INVALID")));
  EXPECT_EQ(a.kind, SignInAnswer::Kind::kError);
  EXPECT_EQ(a.error, "PHONE_CODE_INVALID");

  // Another object, or bytes that are no object, are errors too.
  a = m->read_sign_in_answer(write(tl::Object("boolTrue")));
  EXPECT_EQ(a.kind, SignInAnswer::Kind::kError);
  EXPECT_EQ(a.error, "unexpected boolTrue");
  const uint8_t junk[] = {1, 2, 3};
  EXPECT_EQ(m->read_sign_in_answer(ByteView(junk, 3)).kind, SignInAnswer::Kind::kError);
}

TEST(MessengerTl, SendMessageQueryMatchesTheSchema) {
  const tl::Value v = parse(messenger()->send_message({43, -99}, "12 xxxx", 1234567));
  ASSERT_EQ(v.as_object().name, "messages.sendMessage");
  const tl::Object& peer = v.as_object().get("peer")->as_object();
  EXPECT_EQ(peer.name, "inputPeerUser");
  EXPECT_EQ(peer.get("user_id")->as_long(), 43);
  EXPECT_EQ(peer.get("access_hash")->as_long(), -99);
  EXPECT_EQ(v.as_object().get("message")->as_string(), "12 xxxx");
  EXPECT_EQ(v.as_object().get("random_id")->as_long(), 1234567);
}

TEST(MessengerTl, ReadsTheSendAnswer) {
  auto m = messenger();
  tl::Object sent("updateShortSentMessage");
  sent.set("out", tl::Value::boolean(true));
  for (const char* f : {"id", "pts", "pts_count", "date"}) sent.set(f, tl::Value::i32(1));
  std::string error;
  EXPECT_TRUE(m->read_send_answer(write(sent), error));
  EXPECT_FALSE(m->read_send_answer(write(rpc_error("FLOOD_WAIT_2")), error));
  EXPECT_EQ(error, "FLOOD_WAIT_2");
  EXPECT_FALSE(m->read_send_answer(write(tl::Object("updatesTooLong")), error));
  EXPECT_EQ(error, "unexpected_answer");
}

TEST(MessengerTl, ReadsTheShortMessagePush) {
  auto m = messenger();
  tl::Object push("updateShortMessage");
  for (const char* f : {"id", "pts", "pts_count", "date"}) push.set(f, tl::Value::i32(5));
  push.set("user_id", tl::Value::i64(42));
  push.set("message", tl::Value::str("7 xxxxxxxx"));
  const Bytes bytes = write(push);
  int64_t from = 0;
  std::string_view text;
  ASSERT_TRUE(m->read_short_message(bytes, from, text));
  EXPECT_EQ(from, 42);
  EXPECT_EQ(text, "7 xxxxxxxx");
  EXPECT_FALSE(m->read_short_message(write(tl::Object("updatesTooLong")), from, text));
  // Cut inside the text (constructor, flags, id, user_id: 20 bytes, then the string): not read.
  EXPECT_FALSE(m->read_short_message(ByteView(bytes.data(), 24), from, text));
}

}  // namespace
}  // namespace mtedge::bench
