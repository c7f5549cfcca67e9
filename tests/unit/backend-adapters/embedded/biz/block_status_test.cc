// contacts.block / unblock / getBlocked (delivery stops and resumes, userFull.blocked, the
// stories-only list of layer 193+), account.updateStatus and how users show it (online,
// expiry, offline, pushes to the users that saved the caller as a contact), and the per-user
// FLOOD_WAIT limit on sending.
#include "tests/unit/backend-adapters/embedded/biz/messenger_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

class BlockTest : public TwoAccountsTest {
 protected:
  Answer block(const Account& owner, const Account& peer, bool on) {
    return call(owner.key, tl::Object(on ? "contacts.block" : "contacts.unblock")
                               .set("id", O(input_peer(owner, peer))));
  }
  Answer blocked(const Account& owner, int32_t offset, int32_t limit) {
    return call(owner.key,
                tl::Object("contacts.getBlocked").set("offset", V(offset)).set("limit", V(limit)));
  }
  bool full_blocked(const Account& viewer, const Account& target) {
    Answer full =
        call(viewer.key, tl::Object("users.getFullUser")
                             .set("id", O(tl::Object("inputUser")
                                              .set("user_id", L(target.id))
                                              .set("access_hash", L(hash_for(viewer, target))))));
    const tl::Value* flag = full["full_user"].as_object().get("blocked");
    return flag != nullptr && flag->as_bool();
  }
  int32_t pts(const Account& a) {
    return call(a.key, tl::Object("updates.getState"))["pts"].as_int();
  }
};

TEST_P(BlockTest, BlockStopsDeliveryAndUnblockRestoresIt) {
  EXPECT_FALSE(full_blocked(bob, alice));
  Answer ok = block(bob, alice, true);
  EXPECT_TRUE(ok.value.as_bool()) << ok.error;
  EXPECT_TRUE(full_blocked(bob, alice));
  EXPECT_FALSE(full_blocked(alice, bob));

  std::vector<api::Push> pushes;
  Answer sent = send(alice, bob, "anyone there?", 1, &pushes);
  ASSERT_EQ(sent.name(), "updateShortSentMessage") << sent.error;  // the sender sees it sent
  EXPECT_EQ(sent["id"].as_int(), 1);
  ASSERT_EQ(pushes.size(), 1u);  // the sender's other sessions, not bob
  EXPECT_EQ(pushes[0].user_id, alice.id);
  EXPECT_EQ(pts(bob), 1);  // nothing reached bob's box

  // Bob may still write to alice.
  EXPECT_EQ(send(bob, alice, "I blocked you", 2).name(), "updateShortSentMessage");

  ok = block(bob, alice, false);
  EXPECT_TRUE(ok.value.as_bool());
  EXPECT_FALSE(full_blocked(bob, alice));
  pushes.clear();
  send(alice, bob, "now?", 3, &pushes);
  ASSERT_EQ(pushes.size(), 2u);
  EXPECT_EQ(pushes[1].user_id, bob.id);
  EXPECT_EQ(pushed(pushes[1])["message"].as_string(), "now?");
}

TEST_P(BlockTest, GetBlockedPagesNewestFirst) {
  Account carol = sign_up("9996620003", "Carol", 3);
  Answer none = blocked(alice, 0, 10);
  ASSERT_EQ(none.name(), "contacts.blocked") << none.error;
  EXPECT_TRUE(none["blocked"].as_vector().empty());
  block(alice, bob, true);
  now += 1;
  block(alice, carol, true);
  block(alice, carol, true);  // again: no change
  Answer all = blocked(alice, 0, 10);
  ASSERT_EQ(all.name(), "contacts.blocked");
  const auto& list = all["blocked"].as_vector();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].as_object().name, "peerBlocked");
  EXPECT_EQ(list[0].as_object().get("peer_id")->as_object().get("user_id")->as_long(), carol.id);
  EXPECT_EQ(list[0].as_object().get("date")->as_int(), int32_t(now));
  EXPECT_EQ(list[1].as_object().get("peer_id")->as_object().get("user_id")->as_long(), bob.id);
  EXPECT_EQ(all["users"].as_vector().size(), 2u);
  Answer page = blocked(alice, 1, 10);
  ASSERT_EQ(page.name(), "contacts.blockedSlice");
  EXPECT_EQ(page["count"].as_int(), 2);
  ASSERT_EQ(page["blocked"].as_vector().size(), 1u);
  // Oneself cannot be blocked.
  EXPECT_EQ(block(alice, alice, true).error, "CONTACT_ID_INVALID");
}

TEST_P(BlockTest, StoriesOnlyListChangesNothing) {
  if (layer() < 193) GTEST_SKIP() << "my_stories_from is in layer 193 and later";
  Answer ok = call(bob.key, tl::Object("contacts.block")
                                .set("my_stories_from", tl::Value::boolean(true))
                                .set("id", O(input_peer(bob, alice))));
  EXPECT_TRUE(ok.value.as_bool()) << ok.error;
  EXPECT_FALSE(full_blocked(bob, alice));
  std::vector<api::Push> pushes;
  send(alice, bob, "still delivered", 1, &pushes);
  EXPECT_EQ(pushes.size(), 2u);
  Answer stories = call(bob.key, tl::Object("contacts.getBlocked")
                                     .set("my_stories_from", tl::Value::boolean(true))
                                     .set("offset", V(0))
                                     .set("limit", V(10)));
  EXPECT_TRUE(stories["blocked"].as_vector().empty());
}

MESSENGER_LAYERS(BlockTest);

class StatusTest : public TwoAccountsTest {
 protected:
  void SetUp() override {
    TwoAccountsTest::SetUp();
    // Bob saves Alice as a contact: he sees her status changes.
    call(bob.key, tl::Object("contacts.importContacts")
                      .set("contacts", Vec({O(tl::Object("inputPhoneContact")
                                                  .set("client_id", L(1))
                                                  .set("phone", S(alice.phone))
                                                  .set("first_name", S("Alice"))
                                                  .set("last_name", S("")))})));
  }
  Answer update_status(const Account& a, bool offline, std::vector<api::Push>* pushes) {
    return call(a.key,
                tl::Object("account.updateStatus").set("offline", tl::Value::boolean(offline)),
                pushes);
  }
  // Alice's status as Bob sees it in users.getUsers.
  tl::Object status_for_bob() {
    Answer users =
        call(bob.key, tl::Object("users.getUsers")
                          .set("id", Vec({O(tl::Object("inputUser")
                                                .set("user_id", L(alice.id))
                                                .set("access_hash", L(hash_for(bob, alice))))})));
    return users.value.as_vector()[0].as_object().get("status")->as_object();
  }
};

TEST_P(StatusTest, OnlineExpiresAndOfflineIsPushedToContacts) {
  EXPECT_EQ(status_for_bob().name, "userStatusRecently");  // never reported
  std::vector<api::Push> pushes;
  EXPECT_TRUE(update_status(alice, false, &pushes).value.as_bool());
  ASSERT_EQ(pushes.size(), 1u);  // bob saved alice; alice did not save bob
  EXPECT_EQ(pushes[0].user_id, bob.id);
  EXPECT_EQ(pushes[0].except_auth_key_id, 0u);
  Answer update = pushed(pushes[0]);
  const tl::Object& u = update["update"].as_object();
  EXPECT_EQ(u.name, "updateUserStatus");
  EXPECT_EQ(u.get("user_id")->as_long(), alice.id);
  EXPECT_EQ(u.get("status")->as_object().name, "userStatusOnline");
  EXPECT_EQ(u.get("status")->as_object().get("expires")->as_int(), int32_t(now) + 300);
  tl::Object s = status_for_bob();
  EXPECT_EQ(s.name, "userStatusOnline");

  // Still online: reporting again refreshes the expiry without announcing anything.
  pushes.clear();
  now += 100;
  update_status(alice, false, &pushes);
  EXPECT_TRUE(pushes.empty());
  EXPECT_EQ(status_for_bob().get("expires")->as_int(), int32_t(now) + 300);

  // Not refreshed in time: offline since it expired.
  const int32_t expired = int32_t(now) + 300;
  now += 301;
  s = status_for_bob();
  EXPECT_EQ(s.name, "userStatusOffline");
  EXPECT_EQ(s.get("was_online")->as_int(), expired);

  // Online again, then offline explicitly: both announced.
  pushes.clear();
  update_status(alice, false, &pushes);
  now += 10;
  update_status(alice, true, &pushes);
  ASSERT_EQ(pushes.size(), 2u);
  Answer went_offline = pushed(pushes[1]);
  const tl::Object& off = went_offline["update"].as_object().get("status")->as_object();
  EXPECT_EQ(off.name, "userStatusOffline");
  EXPECT_EQ(off.get("was_online")->as_int(), int32_t(now));
  EXPECT_EQ(status_for_bob().name, "userStatusOffline");
}

TEST_P(StatusTest, TheLastSessionThatWasOnlineLeavingMakesItsUserOffline) {
  state::Presence& presence = store_->presence();
  const int32_t t = int32_t(now);
  EXPECT_TRUE(presence.set_online(alice.id, 1, 10, t, 300));
  EXPECT_FALSE(presence.set_online(alice.id, 1, 11, t, 300));  // a second session
  EXPECT_EQ(presence.session_gone(1, 10, t + 1), 0);           // one is left
  EXPECT_EQ(presence.session_gone(9, 9, t + 1), 0);            // never reported
  EXPECT_EQ(presence.session_gone(1, 11, t + 2), alice.id);
  state::Presence::Status s = presence.status(alice.id);
  EXPECT_EQ(s.online_until, 0);
  EXPECT_EQ(s.was_online, t + 2);
  EXPECT_EQ(presence.session_gone(1, 11, t + 3), 0);  // already gone

  // A session whose report expired no longer counts once another reports the user online.
  EXPECT_TRUE(presence.set_online(alice.id, 1, 12, t + 10, 300));
  EXPECT_TRUE(presence.set_online(alice.id, 1, 13, t + 400, 300));
  EXPECT_EQ(presence.session_gone(1, 12, t + 401), 0);
  EXPECT_GT(presence.status(alice.id).online_until, 0);
}

MESSENGER_LAYERS(StatusTest);

class FloodTest : public TwoAccountsTest {
 protected:
  void SetUp() override {
    EmbeddedConfig config;
    config.messages_per_second = 2;
    config.message_burst = 3;
    reset(config);
    TwoAccountsTest::SetUp();
  }
};

TEST_P(FloodTest, OverTheBurstIsFloodWaitUntilTheBucketRefills) {
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(send(alice, bob, "m", i).error, "") << i;
  Answer refused = send(alice, bob, "m", 4);
  EXPECT_EQ(refused.error_code, 420);
  EXPECT_EQ(refused.error, "FLOOD_WAIT_1");
  // Another user has its own bucket.
  EXPECT_EQ(send(bob, alice, "m", 5).error, "");
  now += 0.5;  // one token back
  EXPECT_EQ(send(alice, bob, "m", 6).error, "");
  EXPECT_EQ(send(alice, bob, "m", 7).error, "FLOOD_WAIT_1");
  // Empty and too long messages are refused before they take a token.
  EXPECT_EQ(send(alice, bob, "", 8).error, "MESSAGE_EMPTY");
  EXPECT_EQ(send(alice, bob, std::string(4097, 'x'), 9).error, "MESSAGE_TOO_LONG");
  now += 2;
  EXPECT_EQ(send(alice, bob, "m", 10).error, "");
  // An unknown peer.
  Answer unknown = call(
      alice.key,
      tl::Object("messages.sendMessage")
          .set("peer",
               O(tl::Object("inputPeerUser").set("user_id", L(424242)).set("access_hash", L(1))))
          .set("message", S("hi"))
          .set("random_id", L(11)));
  EXPECT_EQ(unknown.error, "PEER_ID_INVALID");
}

MESSENGER_LAYERS(FloodTest);

}  // namespace
}  // namespace mtedge::backend::embedded::testing
