// auth.sendCode / signIn / signUp / logOut: test numbers, sign-up required, Telegram's errors,
// the key bound to the user (user methods answer 401 before and after).
#include "tests/unit/backend-adapters/embedded/biz/messenger_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

class AuthTest : public MessengerTest {
 protected:
  Answer send_code(uint64_t key, const std::string& phone) {
    return call(key, tl::Object("auth.sendCode")
                         .set("phone_number", S(phone))
                         .set("api_id", V(1))
                         .set("api_hash", S("hash"))
                         .set("settings", O(tl::Object("codeSettings"))));
  }
  Answer sign_in(uint64_t key, const std::string& phone, const std::string& hash,
                 const std::string& code) {
    tl::Object q("auth.signIn");
    q.set("phone_number", S(phone)).set("phone_code_hash", S(hash));
    if (!code.empty() || layer() == 144) q.set("phone_code", S(code));
    return call(key, q);
  }
  Answer sign_up(uint64_t key, const std::string& phone, const std::string& hash,
                 const std::string& first) {
    return call(key, tl::Object("auth.signUp")
                         .set("phone_number", S(phone))
                         .set("phone_code_hash", S(hash))
                         .set("first_name", S(first))
                         .set("last_name", S("Last")));
  }
  Answer get_self(uint64_t key) {
    return call(key, tl::Object("users.getUsers").set("id", Vec({O(tl::Object("inputUserSelf"))})));
  }
};

TEST_P(AuthTest, NewTestNumberSignsUpThenSignsInOnAnotherKey) {
  EXPECT_EQ(get_self(1).error, "AUTH_KEY_UNREGISTERED");
  EXPECT_EQ(get_self(1).error_code, 401);
  Answer sent = send_code(1, "+999 662 1234");
  ASSERT_EQ(sent.name(), "auth.sentCode");
  EXPECT_EQ(sent["type"].as_object().get("length")->as_int(), 5);
  const std::string hash = sent["phone_code_hash"].as_string();
  EXPECT_FALSE(hash.empty());

  EXPECT_EQ(sign_in(1, "9996621234", hash, "11111").error, "PHONE_CODE_INVALID");
  // The right code on a new number: sign up first (asked as often as the client likes).
  EXPECT_EQ(sign_in(1, "9996621234", hash, "22222").name(), "auth.authorizationSignUpRequired");
  EXPECT_EQ(sign_in(1, "9996621234", hash, "22222").name(), "auth.authorizationSignUpRequired");
  EXPECT_EQ(sign_up(1, "9996621234", hash, "  ").error, "FIRST_NAME_INVALID");
  EXPECT_EQ(sign_up(1, "9996621234", hash, std::string(65, 'a')).error, "FIRST_NAME_INVALID");
  Answer auth = sign_up(1, "9996621234", hash, "Alice");
  ASSERT_EQ(auth.name(), "auth.authorization") << auth.error;
  const tl::Object& user = auth["user"].as_object();
  EXPECT_TRUE(user.get("self")->as_bool());
  EXPECT_EQ(user.get("first_name")->as_string(), "Alice");
  EXPECT_EQ(user.get("last_name")->as_string(), "Last");
  EXPECT_EQ(user.get("phone")->as_string(), "9996621234");
  const int64_t id = user.get("id")->as_long();

  // The key now speaks for the user; the code is used up.
  Answer self = get_self(1);
  ASSERT_EQ(self.value.as_vector().size(), 1u);
  EXPECT_EQ(self.value.as_vector()[0].as_object().get("id")->as_long(), id);
  EXPECT_EQ(sign_in(2, "9996621234", hash, "22222").error, "PHONE_CODE_EXPIRED");
  EXPECT_EQ(sign_up(2, "9996621234", hash, "Alice").error, "PHONE_CODE_EXPIRED");

  // A second key signs in to the same account (no sign-up), the first logs out.
  Answer again = send_code(2, "9996621234");
  Answer in = sign_in(2, "9996621234", again["phone_code_hash"].as_string(), "22222");
  ASSERT_EQ(in.name(), "auth.authorization");
  EXPECT_EQ(in["user"].as_object().get("id")->as_long(), id);
  EXPECT_EQ(call(1, tl::Object("auth.logOut")).name(), "auth.loggedOut");
  EXPECT_EQ(get_self(1).error, "AUTH_KEY_UNREGISTERED");
  EXPECT_EQ(call(1, tl::Object("auth.logOut")).error, "AUTH_KEY_UNREGISTERED");
  EXPECT_EQ(get_self(2).value.as_vector().size(), 1u);
}

TEST_P(AuthTest, TelegramErrors) {
  EXPECT_EQ(send_code(1, "12ab").error, "PHONE_NUMBER_INVALID");
  EXPECT_EQ(send_code(1, "123").error, "PHONE_NUMBER_INVALID");
  Answer sent = send_code(1, "9996621111");
  const std::string hash = sent["phone_code_hash"].as_string();
  EXPECT_EQ(sign_in(1, "12ab", hash, "22222").error, "PHONE_NUMBER_INVALID");
  EXPECT_EQ(sign_in(1, "9996621111", "", "22222").error, "PHONE_CODE_HASH_EMPTY");
  EXPECT_EQ(sign_in(1, "9996621111", hash, "").error, "PHONE_CODE_EMPTY");
  EXPECT_EQ(sign_in(1, "9996621111", "other", "22222").error, "PHONE_CODE_EXPIRED");
  EXPECT_EQ(sign_in(1, "9996622222", hash, "22222").error, "PHONE_CODE_EXPIRED");
  now += 301;  // codes live five minutes
  EXPECT_EQ(sign_in(1, "9996621111", hash, "22222").error, "PHONE_CODE_EXPIRED");
  // A number already signed up cannot sign up again.
  Account a = MessengerTest::sign_up("9996623333", "A", 5);
  Answer resent = send_code(6, "9996623333");
  EXPECT_EQ(sign_up(6, "9996623333", resent["phone_code_hash"].as_string(), "B").error,
            "PHONE_NUMBER_OCCUPIED");
  EXPECT_GT(a.id, 0);
}

TEST_P(AuthTest, OtherNumbersGetARandomCodeOrTheDevelopmentCode) {
  Answer sent = send_code(1, "+44 7700 900123");
  const std::string hash = sent["phone_code_hash"].as_string();
  // The test-number code does not work for other numbers (a random code was made).
  Answer wrong = sign_in(1, "447700900123", hash, "22222");
  EXPECT_TRUE(wrong.error == "PHONE_CODE_INVALID" || wrong.name() != "auth.authorization");

  EmbeddedConfig config;
  config.dev_login_code = "13579";
  reset(config);
  Answer dev = send_code(1, "447700900123");
  EXPECT_EQ(sign_in(1, "447700900123", dev["phone_code_hash"].as_string(), "13579").name(),
            "auth.authorizationSignUpRequired");
}

TEST_P(AuthTest, TestNumberCodeFollowsThisDc) {
  EmbeddedConfig config;
  config.this_dc = 3;
  reset(config);
  Answer sent = send_code(1, "9996631234");
  const std::string hash = sent["phone_code_hash"].as_string();
  EXPECT_EQ(sign_in(1, "9996631234", hash, "22222").error, "PHONE_CODE_INVALID");
  EXPECT_EQ(sign_in(1, "9996631234", hash, "33333").name(), "auth.authorizationSignUpRequired");
}

MESSENGER_LAYERS(AuthTest);

}  // namespace
}  // namespace mtedge::backend::embedded::testing
