// users.getUsers / users.getFullUser, account.updateProfile / checkUsername / updateUsername:
// access hashes per viewer are checked, the caller is `self`, Telegram's errors.
#include "tests/unit/backend-adapters/embedded/biz/messenger_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

class UsersTest : public TwoAccountsTest {
 protected:
  tl::Object input_user(const Account& target, int64_t hash) {
    return tl::Object("inputUser").set("user_id", L(target.id)).set("access_hash", L(hash));
  }
};

TEST_P(UsersTest, GetUsersChecksAccessHashes) {
  const int64_t hash = hash_for(alice, bob);
  EXPECT_NE(hash, hash_for(bob, alice));  // per viewer
  Answer users =
      call(alice.key, tl::Object("users.getUsers")
                          .set("id", Vec({O(tl::Object("inputUserSelf")), O(input_user(bob, hash)),
                                          O(input_user(bob, hash + 1))})));
  const auto& list = users.value.as_vector();
  ASSERT_EQ(list.size(), 2u);  // the wrong hash is left out
  const tl::Object& self = list[0].as_object();
  EXPECT_TRUE(self.get("self")->as_bool());
  EXPECT_EQ(self.get("phone")->as_string(), "9996620001");
  const tl::Object& other = list[1].as_object();
  EXPECT_EQ(other.get("id")->as_long(), bob.id);
  EXPECT_EQ(other.get("self"), nullptr);
  EXPECT_EQ(other.get("phone"), nullptr);  // not a contact
  EXPECT_EQ(other.get("access_hash")->as_long(), hash);
}

TEST_P(UsersTest, GetFullUser) {
  call(bob.key, tl::Object("account.updateProfile").set("about", S("hello")));
  Answer full =
      call(alice.key,
           tl::Object("users.getFullUser").set("id", O(input_user(bob, hash_for(alice, bob)))));
  ASSERT_EQ(full.name(), "users.userFull") << full.error;
  EXPECT_EQ(full["full_user"].as_object().get("id")->as_long(), bob.id);
  EXPECT_EQ(full["full_user"].as_object().get("about")->as_string(), "hello");
  EXPECT_EQ(full["users"].as_vector()[0].as_object().get("first_name")->as_string(), "Bob");
  Answer self =
      call(alice.key, tl::Object("users.getFullUser").set("id", O(tl::Object("inputUserSelf"))));
  EXPECT_EQ(self["full_user"].as_object().get("id")->as_long(), alice.id);
  EXPECT_EQ(call(alice.key, tl::Object("users.getFullUser").set("id", O(input_user(bob, 7)))).error,
            "USER_ID_INVALID");
  EXPECT_EQ(
      call(alice.key, tl::Object("users.getFullUser").set("id", O(tl::Object("inputUserEmpty"))))
          .error,
      "USER_ID_INVALID");
}

TEST_P(UsersTest, UpdateProfile) {
  Answer user = call(alice.key, tl::Object("account.updateProfile")
                                    .set("first_name", S("Alicia"))
                                    .set("last_name", S("Smith")));
  ASSERT_EQ(user.name(), "user") << user.error;
  EXPECT_EQ(user["first_name"].as_string(), "Alicia");
  EXPECT_EQ(user["last_name"].as_string(), "Smith");
  EXPECT_TRUE(user["self"].as_bool());
  // Only what is given changes.
  user = call(alice.key, tl::Object("account.updateProfile").set("last_name", S("")));
  EXPECT_EQ(user["first_name"].as_string(), "Alicia");
  EXPECT_TRUE(user["last_name"].is_none());
  EXPECT_EQ(call(alice.key, tl::Object("account.updateProfile").set("first_name", S(""))).error,
            "FIRST_NAME_INVALID");
  EXPECT_EQ(
      call(alice.key, tl::Object("account.updateProfile").set("about", S(std::string(71, 'x'))))
          .error,
      "ABOUT_TOO_LONG");
}

TEST_P(UsersTest, Usernames) {
  auto check = [&](const Account& a, const std::string& name) {
    return call(a.key, tl::Object("account.checkUsername").set("username", S(name)));
  };
  auto update = [&](const Account& a, const std::string& name) {
    return call(a.key, tl::Object("account.updateUsername").set("username", S(name)));
  };
  EXPECT_TRUE(check(alice, "alice_1").value.as_bool());
  for (const char* bad :
       {"abc", "1alice", "alice_", "ali ce", "al-ice", "a234567890123456789012345678901234"}) {
    EXPECT_EQ(check(alice, bad).error, "USERNAME_INVALID") << bad;
    EXPECT_EQ(update(alice, bad).error, "USERNAME_INVALID") << bad;
  }
  Answer user = update(alice, "Alice_1");
  ASSERT_EQ(user.name(), "user") << user.error;
  EXPECT_EQ(user["username"].as_string(), "Alice_1");
  EXPECT_EQ(update(alice, "Alice_1").error, "USERNAME_NOT_MODIFIED");
  EXPECT_TRUE(check(alice, "alice_1").value.as_bool());  // its own
  EXPECT_FALSE(check(bob, "ALICE_1").value.as_bool());   // case-insensitive
  EXPECT_EQ(update(bob, "alice_1").error, "USERNAME_OCCUPIED");
  // Removing it frees the name.
  EXPECT_TRUE(update(alice, "")["username"].is_none());
  EXPECT_EQ(update(bob, "alice_1")["username"].as_string(), "alice_1");
}

MESSENGER_LAYERS(UsersTest);

}  // namespace
}  // namespace mtedge::backend::embedded::testing
