// messages.sendMessage (idempotent by random_id, pushes to the recipient and the sender's other
// sessions), messages.getHistory paging, messages.getDialogs, messages.readHistory.
#include "tests/unit/backend-adapters/embedded/biz/messenger_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

class MessagesTest : public TwoAccountsTest {
 protected:
  Answer history(const Account& owner, const Account& peer, int32_t offset_id, int32_t add_offset,
                 int32_t limit, int32_t max_id = 0, int32_t min_id = 0) {
    return call(owner.key, history_query(input_peer(owner, peer), limit, offset_id, add_offset,
                                         max_id, min_id));
  }
  static std::vector<int32_t> ids(const Answer& a) {
    std::vector<int32_t> out;
    for (const tl::Value& m : a["messages"].as_vector())
      out.push_back(m.as_object().get("id")->as_int());
    return out;
  }
  Answer dialogs(const Account& owner, int32_t offset_id = 0, int32_t limit = 100) {
    return call(owner.key, tl::Object("messages.getDialogs")
                               .set("offset_date", V(0))
                               .set("offset_id", V(offset_id))
                               .set("offset_peer", O(tl::Object("inputPeerEmpty")))
                               .set("limit", V(limit))
                               .set("hash", L(0)));
  }
};

TEST_P(MessagesTest, SendPushesToTheRecipientAndIsIdempotent) {
  const tl::Object peer = input_peer(alice, bob);
  std::vector<api::Push> pushes;
  tl::Object bold("messageEntityBold");
  bold.set("offset", V(0)).set("length", V(5));
  tl::Object url("messageEntityTextUrl");
  url.set("offset", V(6)).set("length", V(5)).set("url", S("https://example.org"));
  tl::Object q("messages.sendMessage");
  q.set("peer", O(peer)).set("message", S("hello world")).set("random_id", L(77));
  q.set("entities", Vec({O(bold), O(url)}));
  Answer sent = call(alice.key, q, &pushes);
  ASSERT_EQ(sent.name(), "updateShortSentMessage") << sent.error;
  EXPECT_TRUE(sent["out"].as_bool());
  EXPECT_EQ(sent["id"].as_int(), 1);
  EXPECT_EQ(sent["pts"].as_int(), 2);  // a new account starts at pts 1
  EXPECT_EQ(sent["pts_count"].as_int(), 1);
  EXPECT_EQ(sent["date"].as_int(), int32_t(now));

  ASSERT_EQ(pushes.size(), 2u);
  // The sender's other sessions (not this one) see their own outgoing message.
  EXPECT_EQ(pushes[0].user_id, alice.id);
  EXPECT_EQ(pushes[0].except_auth_key_id, alice.key);
  EXPECT_EQ(pushes[0].except_session_id, int64_t(alice.key) * 10);
  Answer own = pushed(pushes[0]);
  EXPECT_EQ(own.name(), "updateShortMessage");
  EXPECT_TRUE(own["out"].as_bool());
  EXPECT_EQ(own["user_id"].as_long(), bob.id);
  // The recipient: its own message id and pts.
  EXPECT_EQ(pushes[1].user_id, bob.id);
  Answer theirs = pushed(pushes[1]);
  ASSERT_EQ(theirs.name(), "updateShortMessage");
  EXPECT_TRUE(theirs["out"].is_none());
  EXPECT_EQ(theirs["id"].as_int(), 1);
  EXPECT_EQ(theirs["user_id"].as_long(), alice.id);
  EXPECT_EQ(theirs["message"].as_string(), "hello world");
  EXPECT_EQ(theirs["pts"].as_int(), 2);
  const auto& entities = theirs["entities"].as_vector();
  ASSERT_EQ(entities.size(), 2u);
  EXPECT_EQ(entities[0].as_object().name, "messageEntityBold");
  EXPECT_EQ(entities[1].as_object().get("url")->as_string(), "https://example.org");

  // The same random_id again: the same message, nothing new, nothing pushed.
  pushes.clear();
  Answer again = call(alice.key, q, &pushes);
  EXPECT_EQ(again["id"].as_int(), 1);
  EXPECT_EQ(again["pts"].as_int(), 2);
  EXPECT_TRUE(pushes.empty());
  EXPECT_EQ(ids(history(bob, alice, 0, 0, 10)), std::vector<int32_t>{1});
}

TEST_P(MessagesTest, SendErrors) {
  EXPECT_EQ(send(alice, bob, "", 1).error, "MESSAGE_EMPTY");
  EXPECT_EQ(send(alice, bob, std::string(4097, 'x'), 2).error, "MESSAGE_TOO_LONG");
  EXPECT_EQ(send(alice, bob, std::string(4096, 'x'), 3).name(), "updateShortSentMessage");
  // 4096 UTF-16 units: 2048 characters outside the BMP fill them.
  std::string emoji;
  for (int i = 0; i < 2049; ++i) emoji += "\xF0\x9F\x98\x80";
  EXPECT_EQ(send(alice, bob, emoji, 4).error, "MESSAGE_TOO_LONG");
  tl::Object bad("inputPeerUser");
  bad.set("user_id", L(bob.id)).set("access_hash", L(12345));
  EXPECT_EQ(call(alice.key, tl::Object("messages.sendMessage")
                                .set("peer", O(bad))
                                .set("message", S("hi"))
                                .set("random_id", L(5)))
                .error,
            "PEER_ID_INVALID");
  EXPECT_EQ(call(alice.key, tl::Object("messages.sendMessage")
                                .set("peer", O(tl::Object("inputPeerChat").set("chat_id", L(1))))
                                .set("message", S("hi"))
                                .set("random_id", L(6)))
                .error,
            "PEER_ID_INVALID");
}

TEST_P(MessagesTest, HistoryBothDirectionsAndPaging) {
  // alice 1..10 (ids in alice's box): odd ones from alice, even ones from bob.
  for (int i = 1; i <= 10; ++i) {
    if (i % 2) {
      send(alice, bob, std::string("a").append(std::to_string(i)), i);
    } else {
      send(bob, alice, std::string("b").append(std::to_string(i)), i);
    }
  }
  Answer all = history(alice, bob, 0, 0, 100);
  EXPECT_EQ(all.name(), "messages.messages");
  EXPECT_EQ(ids(all), (std::vector<int32_t>{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}));
  const tl::Object& newest = all["messages"].as_vector()[0].as_object();
  EXPECT_EQ(newest.get("message")->as_string(), "b10");
  EXPECT_EQ(newest.get("out"), nullptr);
  EXPECT_EQ(newest.get("from_id")->as_object().get("user_id")->as_long(), bob.id);
  EXPECT_EQ(newest.get("peer_id")->as_object().get("user_id")->as_long(), bob.id);
  const tl::Object& mine = all["messages"].as_vector()[1].as_object();
  EXPECT_TRUE(mine.get("out")->as_bool());
  EXPECT_EQ(mine.get("from_id")->as_object().get("user_id")->as_long(), alice.id);
  EXPECT_EQ(all["users"].as_vector().size(), 2u);

  Answer page = history(alice, bob, 0, 0, 3);
  EXPECT_EQ(page.name(), "messages.messagesSlice");
  EXPECT_EQ(page["count"].as_int(), 10);
  EXPECT_EQ(ids(page), (std::vector<int32_t>{10, 9, 8}));
  EXPECT_EQ(ids(history(alice, bob, 8, 0, 3)), (std::vector<int32_t>{7, 6, 5}));
  EXPECT_EQ(ids(history(alice, bob, 5, -2, 4)), (std::vector<int32_t>{6, 5, 4, 3}));
  EXPECT_EQ(ids(history(alice, bob, 0, 8, 5)), (std::vector<int32_t>{2, 1}));
  EXPECT_EQ(ids(history(alice, bob, 0, 0, 100, 6, 2)), (std::vector<int32_t>{5, 4, 3}));
  EXPECT_TRUE(ids(history(alice, bob, 1, 0, 10)).empty());
  // Bob's box has its own ids, the same texts in the same order.
  Answer theirs = history(bob, alice, 0, 0, 2);
  EXPECT_EQ(theirs["messages"].as_vector()[0].as_object().get("message")->as_string(), "b10");
  EXPECT_TRUE(theirs["messages"].as_vector()[0].as_object().get("out")->as_bool());
}

TEST_P(MessagesTest, DialogsAndReadHistory) {
  Account carol = sign_up("9996620003", "Carol", 3);
  send(bob, alice, "one", 1);
  send(bob, alice, "two", 2);
  send(carol, alice, "three", 3);
  Answer list = dialogs(alice);
  ASSERT_EQ(list.name(), "messages.dialogs") << list.error;
  const auto& ds = list["dialogs"].as_vector();
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds[0].as_object().get("peer")->as_object().get("user_id")->as_long(), carol.id);
  EXPECT_EQ(ds[1].as_object().get("unread_count")->as_int(), 2);
  EXPECT_EQ(ds[1].as_object().get("top_message")->as_int(), 2);
  EXPECT_EQ(list["messages"].as_vector().size(), 2u);
  Answer page = dialogs(alice, 0, 1);
  EXPECT_EQ(page.name(), "messages.dialogsSlice");
  EXPECT_EQ(page["count"].as_int(), 2);
  Answer next = dialogs(alice, 3, 1);
  EXPECT_EQ(next["dialogs"].as_vector()[0].as_object().get("top_message")->as_int(), 2);

  std::vector<api::Push> pushes;
  Answer read = call(
      alice.key,
      tl::Object("messages.readHistory").set("peer", O(input_peer(alice, bob))).set("max_id", V(0)),
      &pushes);
  ASSERT_EQ(read.name(), "messages.affectedMessages") << read.error;
  EXPECT_EQ(read["pts"].as_int(), 5);  // 1 + three messages + this read
  EXPECT_EQ(read["pts_count"].as_int(), 1);
  ASSERT_EQ(pushes.size(), 2u);
  EXPECT_EQ(pushes[0].user_id, alice.id);
  Answer inbox = pushed(pushes[0]);
  EXPECT_EQ(inbox["update"].as_object().name, "updateReadHistoryInbox");
  EXPECT_EQ(pushes[1].user_id, bob.id);
  Answer outbox = pushed(pushes[1]);
  ASSERT_EQ(outbox.name(), "updateShort");
  const tl::Object& update = outbox["update"].as_object();
  EXPECT_EQ(update.name, "updateReadHistoryOutbox");
  EXPECT_EQ(update.get("peer")->as_object().get("user_id")->as_long(), alice.id);
  EXPECT_EQ(update.get("max_id")->as_int(), 2);  // bob's ids
  EXPECT_EQ(update.get("pts")->as_int(), 4);     // bob: 1 + two messages + this
  // Reading again changes nothing.
  pushes.clear();
  read = call(
      alice.key,
      tl::Object("messages.readHistory").set("peer", O(input_peer(alice, bob))).set("max_id", V(2)),
      &pushes);
  EXPECT_EQ(read["pts_count"].as_int(), 0);
  EXPECT_TRUE(pushes.empty());
  const auto after = dialogs(alice)["dialogs"].as_vector();
  EXPECT_EQ(after[1].as_object().get("unread_count")->as_int(), 0);
  EXPECT_EQ(after[1].as_object().get("read_inbox_max_id")->as_int(), 2);
  EXPECT_EQ(dialogs(bob)["dialogs"].as_vector()[0].as_object().get("read_outbox_max_id")->as_int(),
            2);
}

MESSENGER_LAYERS(MessagesTest);

}  // namespace
}  // namespace mtedge::backend::embedded::testing
