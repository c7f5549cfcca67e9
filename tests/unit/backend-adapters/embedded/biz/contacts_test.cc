// contacts.resolveUsername, contacts.importContacts, contacts.getContacts.
#include "tests/unit/backend-adapters/embedded/biz/messenger_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

class ContactsTest : public TwoAccountsTest {
 protected:
  Answer import(const Account& owner, std::vector<std::pair<std::string, std::string>> contacts) {
    std::vector<tl::Value> list;
    int64_t client_id = 100;
    for (auto& [phone, name] : contacts) {
      list.push_back(O(tl::Object("inputPhoneContact")
                           .set("client_id", L(client_id++))
                           .set("phone", S(phone))
                           .set("first_name", S(name))
                           .set("last_name", S(""))));
    }
    return call(owner.key, tl::Object("contacts.importContacts").set("contacts", Vec(list)));
  }
  Answer contacts(const Account& owner) {
    return call(owner.key, tl::Object("contacts.getContacts").set("hash", L(0)));
  }
};

TEST_P(ContactsTest, ResolveUsername) {
  call(bob.key, tl::Object("account.updateUsername").set("username", S("bobby")));
  Answer resolved =
      call(alice.key, tl::Object("contacts.resolveUsername").set("username", S("BOBBY")));
  ASSERT_EQ(resolved.name(), "contacts.resolvedPeer") << resolved.error;
  EXPECT_EQ(resolved["peer"].as_object().name, "peerUser");
  EXPECT_EQ(resolved["peer"].as_object().get("user_id")->as_long(), bob.id);
  const tl::Object& user = resolved["users"].as_vector()[0].as_object();
  EXPECT_EQ(user.get("username")->as_string(), "bobby");
  // The hash it gives is one alice can use.
  Answer full =
      call(alice.key, tl::Object("users.getFullUser")
                          .set("id", O(tl::Object("inputUser")
                                           .set("user_id", L(bob.id))
                                           .set("access_hash", *user.get("access_hash")))));
  EXPECT_EQ(full.name(), "users.userFull");
  EXPECT_EQ(
      call(alice.key, tl::Object("contacts.resolveUsername").set("username", S("nobody"))).error,
      "USERNAME_NOT_OCCUPIED");
  EXPECT_EQ(call(alice.key, tl::Object("contacts.resolveUsername").set("username", S("a"))).error,
            "USERNAME_INVALID");
}

TEST_P(ContactsTest, ImportByPhoneThenGetContacts) {
  Answer imported = import(alice, {{"+999 662 0002", "Bobby"}, {"+15550000000", "Nobody"}});
  ASSERT_EQ(imported.name(), "contacts.importedContacts") << imported.error;
  ASSERT_EQ(imported["imported"].as_vector().size(), 1u);
  const tl::Object& entry = imported["imported"].as_vector()[0].as_object();
  EXPECT_EQ(entry.get("user_id")->as_long(), bob.id);
  EXPECT_EQ(entry.get("client_id")->as_long(), 100);
  const tl::Object& user = imported["users"].as_vector()[0].as_object();
  EXPECT_EQ(user.get("phone")->as_string(), "9996620002");  // contacts see the phone
  EXPECT_EQ(user.get("first_name")->as_string(), "Bobby");  // under the saved name
  EXPECT_TRUE(user.get("contact")->as_bool());
  EXPECT_EQ(user.get("mutual_contact"), nullptr);

  Answer list = contacts(alice);
  ASSERT_EQ(list.name(), "contacts.contacts");
  ASSERT_EQ(list["contacts"].as_vector().size(), 1u);
  EXPECT_FALSE(list["contacts"].as_vector()[0].as_object().get("mutual")->as_bool());
  import(bob, {{ "9996620001", "Al" }});
  list = contacts(alice);
  EXPECT_TRUE(list["contacts"].as_vector()[0].as_object().get("mutual")->as_bool());
  EXPECT_TRUE(list["users"].as_vector()[0].as_object().get("mutual_contact")->as_bool());
  EXPECT_EQ(contacts(bob)["users"].as_vector()[0].as_object().get("first_name")->as_string(), "Al");
}

MESSENGER_LAYERS(ContactsTest);

}  // namespace
}  // namespace mtedge::backend::embedded::testing
