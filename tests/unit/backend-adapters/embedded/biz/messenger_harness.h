// Calls the messenger's methods through the dispatcher in a chosen layer: queries are built by
// name with the schema engine and answers parsed back with it, so every constructor is checked
// against that layer's .tl. Each test runs in layers 144, 193 and 228.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "backend-adapters/embedded/api/answer.h"
#include "backend-adapters/embedded/biz/biz.h"
#include "mtproto/tl/schema_value.h"

namespace mtedge::backend::embedded::testing {

namespace tl = mtproto::tl;

inline tl::Value V(int32_t v) {
  return tl::Value::i32(v);
}
inline tl::Value L(int64_t v) {
  return tl::Value::i64(v);
}
inline tl::Value S(std::string v) {
  return tl::Value::str(std::move(v));
}
inline tl::Value O(tl::Object o) {
  return tl::Value::object(std::move(o));
}
inline tl::Value Vec(std::vector<tl::Value> v) {
  return tl::Value::vector(std::move(v));
}

// An answer: an object, a vector, a Bool, or an rpc_error.
struct Answer {
  tl::Value value;
  int32_t error_code = 0;
  std::string error;
  const tl::Object& object() const { return value.as_object(); }
  const std::string& name() const { return value.as_object().name; }
  const tl::Value& operator[](std::string_view field) const {
    static const tl::Value kNone;
    const tl::Value* v = value.as_object().get(field);
    return v ? *v : kNone;
  }
};

// A signed-in account: its user id and the key it uses.
struct Account {
  int64_t id = 0;
  uint64_t key = 0;
  std::string phone;
};

class MessengerTest : public ::testing::TestWithParam<int> {
 protected:
  MessengerTest() { reset({}); }

  void reset(EmbeddedConfig config) {
    schemas_ = tl::SchemaSet::load_embedded().value();
    store_ = std::make_shared<state::Store>();
    store_->set_sink([this](const Bytes& record) {
      records_.push_back(record);
      return uint64_t(records_.size());
    });
    store_->presence().set_clock([this] { return now; });
    dispatcher_ = std::make_unique<api::Dispatcher>(schemas_, std::move(config));
    biz::add_methods(*dispatcher_, store_);
  }

  int layer() const { return GetParam(); }
  const tl::Schema& schema() const { return *schemas_->layer(layer()); }

  // messages.getHistory of `peer` (an InputPeer), the newest `limit` messages unless paged.
  static tl::Object history_query(tl::Object peer, int32_t limit = 100, int32_t offset_id = 0,
                                  int32_t add_offset = 0, int32_t max_id = 0, int32_t min_id = 0) {
    return tl::Object("messages.getHistory")
        .set("peer", O(std::move(peer)))
        .set("offset_id", V(offset_id))
        .set("offset_date", V(0))
        .set("add_offset", V(add_offset))
        .set("limit", V(limit))
        .set("max_id", V(max_id))
        .set("min_id", V(min_id))
        .set("hash", L(0));
  }

  // Calls `query` (a function by name) as auth key `key`, session `key * 10`.
  Answer call(uint64_t key, tl::Object query, std::vector<api::Push>* pushes = nullptr) {
    Bytes bytes;
    mtproto::TlWriter writer(bytes);
    Status written = tl::serialize_object(schema(), query, writer);
    EXPECT_TRUE(written.is_ok()) << query.name << ": " << written.message();
    api::CallContext context;
    context.schema = &schema();
    context.layer = layer();
    context.auth_key_id = key;
    context.session_id = int64_t(key) * 10;
    context.now = now;
    context.pushes = pushes ? pushes : &pushes_;
    return parse(dispatcher_->call(context, bytes));
  }

  Answer parse(const Bytes& bytes) {
    Answer answer;
    mtproto::TlReader reader(bytes);
    if (bytes.size() >= 4 && load_le32(bytes.data()) == 0x2144ca19) {
      reader.read_uint32();
      answer.error_code = reader.read_int32();
      answer.error = std::string(reader.read_string());
      return answer;
    }
    const uint32_t id = bytes.size() >= 4 ? load_le32(bytes.data()) : 0;
    if (bytes.size() == 4 && (id == 0x997275b5 || id == 0xbc799737)) {  // boolTrue / boolFalse
      answer.value = tl::Value::boolean(id == 0x997275b5);
      return answer;
    }
    auto parsed = tl::parse(schema(), reader, "Object");
    if (!parsed) {  // a bare Vector<User>
      mtproto::TlReader vec(bytes);
      parsed = tl::parse(schema(), vec, "Vector<User>");
      EXPECT_TRUE(parsed.is_ok()) << parsed.message();
      EXPECT_TRUE(vec.at_end());
    } else {
      EXPECT_TRUE(reader.at_end());
    }
    if (parsed) answer.value = std::move(parsed.value());
    return answer;
  }

  // A pushed update as a session of `layer()` receives it.
  Answer pushed(const api::Push& push) {
    auto bytes = api::serialize_fitted(schema(), push.updates);
    EXPECT_TRUE(bytes.is_ok()) << bytes.message();
    return parse(bytes.value());
  }

  // auth.sendCode + signIn (+ signUp for a new number) on `key`.
  Account sign_up(const std::string& phone, const std::string& first, uint64_t key) {
    Answer sent = call(key, tl::Object("auth.sendCode")
                                .set("phone_number", S(phone))
                                .set("api_id", V(1))
                                .set("api_hash", S("hash"))
                                .set("settings", O(tl::Object("codeSettings"))));
    EXPECT_EQ(sent.error, "");
    std::string hash = sent["phone_code_hash"].as_string();
    std::string code(5, char('0' + 2));
    Answer in = call(key, tl::Object("auth.signIn")
                              .set("phone_number", S(phone))
                              .set("phone_code_hash", S(hash))
                              .set("phone_code", S(code)));
    EXPECT_EQ(in.error, "");
    if (in.name() == "auth.authorizationSignUpRequired") {
      in = call(key, tl::Object("auth.signUp")
                         .set("phone_number", S(phone))
                         .set("phone_code_hash", S(hash))
                         .set("first_name", S(first))
                         .set("last_name", S("")));
    }
    EXPECT_EQ(in.name(), "auth.authorization");
    return Account{in["user"].as_object().get("id")->as_long(), key, phone};
  }

  // The inputUser / inputPeerUser `viewer` gets for `target` from users in answers.
  int64_t hash_for(const Account& viewer, const Account& target) {
    Answer users = call(
        viewer.key, tl::Object("contacts.resolveUsername").set("username", S(username_of(target))));
    return users["users"].as_vector()[0].as_object().get("access_hash")->as_long();
  }
  std::string username_of(const Account& a) {
    std::string name = "user" + std::to_string(a.id);
    call(a.key, tl::Object("account.updateUsername").set("username", S(name)));
    return name;
  }
  tl::Object input_peer(const Account& viewer, const Account& target) {
    return tl::Object("inputPeerUser")
        .set("user_id", L(target.id))
        .set("access_hash", L(hash_for(viewer, target)));
  }
  // messages.sendMessage from `from` to `to` with random_id `random_id`.
  Answer send(const Account& from, const Account& to, const std::string& text, int64_t random_id,
              std::vector<api::Push>* pushes = nullptr) {
    return call(from.key,
                tl::Object("messages.sendMessage")
                    .set("peer", O(input_peer(from, to)))
                    .set("message", S(text))
                    .set("random_id", L(random_id)),
                pushes);
  }

  double now = 1'800'000'000;
  std::shared_ptr<const tl::SchemaSet> schemas_;
  std::shared_ptr<state::Store> store_;
  std::unique_ptr<api::Dispatcher> dispatcher_;
  std::vector<Bytes> records_;     // every record the store applied, encoded
  std::vector<api::Push> pushes_;  // pushes of calls that passed no vector
};

// Alice (key 1) and Bob (key 2), signed up.
class TwoAccountsTest : public MessengerTest {
 protected:
  void SetUp() override {
    alice = sign_up("9996620001", "Alice", 1);
    bob = sign_up("9996620002", "Bob", 2);
  }
  Account alice, bob;
};

#define MESSENGER_LAYERS(Suite) \
  INSTANTIATE_TEST_SUITE_P(Layers, Suite, ::testing::Values(144, 193, 228))

}  // namespace mtedge::backend::embedded::testing
