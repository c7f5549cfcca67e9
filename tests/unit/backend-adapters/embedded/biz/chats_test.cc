// Basic groups: createChat / addChatUser / deleteChatUser / editChatTitle announced by service
// messages to every member, one order of chat messages for all members (ids and pts per box,
// shared with 1:1 messages), a removed member keeps its history and gets nothing more, chats in
// getHistory / getDialogs / readHistory / getDifference / getChats / getFullChat, and the
// answer shape per layer (Updates, or messages.invitedUsers from layer 193).
#include "tests/unit/backend-adapters/embedded/biz/messenger_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

class ChatsTest : public TwoAccountsTest {
 protected:
  void SetUp() override {
    TwoAccountsTest::SetUp();
    carol = sign_up("9996620003", "Carol", 3);
  }
  tl::Object input_user(const Account& viewer, const Account& target) {
    return tl::Object("inputUser")
        .set("user_id", L(target.id))
        .set("access_hash", L(hash_for(viewer, target)));
  }
  static tl::Object chat_peer(int64_t chat_id) {
    return tl::Object("inputPeerChat").set("chat_id", L(chat_id));
  }
  // The `updates` of an answer that may be messages.invitedUsers.
  static const tl::Object& updates_of(const Answer& a) {
    return a.name() == "messages.invitedUsers" ? a["updates"].as_object() : a.object();
  }
  static const tl::Object& first_message(const tl::Object& updates) {
    for (const tl::Value& u : updates.get("updates")->as_vector()) {
      if (u.as_object().name == "updateNewMessage")
        return u.as_object().get("message")->as_object();
    }
    static const tl::Object kNone;
    ADD_FAILURE() << "no updateNewMessage";
    return kNone;
  }
  // Alice makes a chat of alice, bob and carol; returns its id.
  int64_t make_chat(std::vector<api::Push>* pushes = nullptr) {
    Answer made =
        call(alice.key,
             tl::Object("messages.createChat")
                 .set("users", Vec({O(input_user(alice, bob)), O(input_user(alice, carol))}))
                 .set("title", S("Trio")),
             pushes);
    EXPECT_EQ(made.error, "");
    const auto& chats = updates_of(made).get("chats")->as_vector();
    EXPECT_EQ(chats.size(), 1u);
    return chats[0].as_object().get("id")->as_long();
  }
  Answer say(const Account& from, int64_t chat, const std::string& text, int64_t random_id,
             std::vector<api::Push>* pushes = nullptr) {
    return call(from.key,
                tl::Object("messages.sendMessage")
                    .set("peer", O(chat_peer(chat)))
                    .set("message", S(text))
                    .set("random_id", L(random_id)),
                pushes);
  }
  Answer history(const Account& owner, int64_t chat) {
    return call(owner.key, history_query(chat_peer(chat)));
  }
  // The texts of a history, oldest first (service messages as "*").
  static std::vector<std::string> texts(const Answer& a) {
    std::vector<std::string> out;
    for (const tl::Value& m : a["messages"].as_vector()) {
      const tl::Value* text = m.as_object().get("message");
      out.insert(out.begin(), text ? text->as_string() : "*");
    }
    return out;
  }
  Answer kick(const Account& by, int64_t chat, tl::Object who,
              std::vector<api::Push>* pushes = nullptr) {
    return call(by.key,
                tl::Object("messages.deleteChatUser")
                    .set("chat_id", L(chat))
                    .set("user_id", O(std::move(who))),
                pushes);
  }
  const tl::Object& chat_as(const Account& viewer, int64_t chat) {
    chats_ = call(viewer.key, tl::Object("messages.getChats").set("id", Vec({L(chat)})));
    EXPECT_EQ(chats_["chats"].as_vector().size(), 1u);
    return chats_["chats"].as_vector()[0].as_object();
  }
  Account carol;
  Answer chats_;
};

TEST_P(ChatsTest, CreateAnnouncesTheChatToEveryMember) {
  std::vector<api::Push> pushes;
  send(bob, alice, "before", 1);  // bob's box: message 1, pts 2
  pushes_.clear();
  Answer made =
      call(alice.key,
           tl::Object("messages.createChat")
               .set("users", Vec({O(input_user(alice, bob)), O(input_user(alice, carol))}))
               .set("title", S("Trio")),
           &pushes);
  ASSERT_EQ(made.error, "");
  EXPECT_EQ(made.name(), layer() == 144 ? "updates" : "messages.invitedUsers");
  const tl::Object& updates = updates_of(made);
  const tl::Object& service = first_message(updates);
  EXPECT_EQ(service.name, "messageService");
  EXPECT_EQ(service.get("id")->as_int(), 2);  // alice's box: after the 1:1 message
  EXPECT_TRUE(service.get("out")->as_bool());
  const tl::Object& action = service.get("action")->as_object();
  EXPECT_EQ(action.name, "messageActionChatCreate");
  EXPECT_EQ(action.get("title")->as_string(), "Trio");
  EXPECT_EQ(action.get("users")->as_vector().size(), 3u);
  const tl::Object& chat = updates.get("chats")->as_vector()[0].as_object();
  EXPECT_EQ(chat.name, "chat");
  EXPECT_TRUE(chat.get("creator")->as_bool());
  EXPECT_EQ(chat.get("participants_count")->as_int(), 3);
  EXPECT_EQ(updates.get("users")->as_vector().size(), 3u);

  // alice's other sessions, bob and carol: each its own copy.
  ASSERT_EQ(pushes.size(), 3u);
  EXPECT_EQ(pushes[0].user_id, alice.id);
  EXPECT_EQ(pushes[1].user_id, bob.id);
  EXPECT_EQ(pushes[2].user_id, carol.id);
  Answer bobs = pushed(pushes[1]);
  ASSERT_EQ(bobs.name(), "updates");
  const tl::Object& copy = first_message(bobs.object());
  EXPECT_EQ(copy.get("id")->as_int(), 2);
  EXPECT_EQ(copy.get("out"), nullptr);
  EXPECT_EQ(copy.get("peer_id")->as_object().get("chat_id")->as_long(), chat.get("id")->as_long());
  EXPECT_EQ(bobs["chats"].as_vector()[0].as_object().get("creator"), nullptr);
  Answer carols = pushed(pushes[2]);
  EXPECT_EQ(first_message(carols.object()).get("id")->as_int(), 1);
  Answer full = call(bob.key, tl::Object("messages.getFullChat").set("chat_id", *chat.get("id")));
  ASSERT_EQ(full.name(), "messages.chatFull") << full.error;
  const tl::Object& participants = full["full_chat"].as_object().get("participants")->as_object();
  EXPECT_EQ(participants.name, "chatParticipants");
  const auto& list = participants.get("participants")->as_vector();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].as_object().name, "chatParticipantCreator");
  EXPECT_EQ(list[2].as_object().get("inviter_id")->as_long(), alice.id);
  EXPECT_EQ(full["users"].as_vector().size(), 3u);
}

TEST_P(ChatsTest, EveryMemberGetsEveryMessageInOneOrder) {
  const int64_t chat = make_chat();
  send(carol, bob, "1:1 in between", 9);
  std::vector<api::Push> pushes;
  Answer sent = say(bob, chat, "one", 11, &pushes);
  ASSERT_EQ(sent.name(), "updates") << sent.error;
  const auto& ups = sent["updates"].as_vector();
  ASSERT_EQ(ups.size(), 2u);
  EXPECT_EQ(ups[0].as_object().name, "updateMessageID");
  EXPECT_EQ(ups[0].as_object().get("random_id")->as_long(), 11);
  EXPECT_EQ(ups[0].as_object().get("id")->as_int(), 3);  // bob: create, carol's 1:1, this
  EXPECT_EQ(ups[1].as_object().get("pts")->as_int(), 4);
  ASSERT_EQ(pushes.size(), 3u);
  for (const api::Push& p : pushes) {
    Answer a = pushed(p);
    ASSERT_EQ(a.name(), "updateShortChatMessage");
    EXPECT_EQ(a["from_id"].as_long(), bob.id);
    EXPECT_EQ(a["chat_id"].as_long(), chat);
    EXPECT_EQ(a["message"].as_string(), "one");
    EXPECT_EQ(a["out"].is_none(), p.user_id != bob.id);
    EXPECT_EQ(a["id"].as_int(), p.user_id == alice.id ? 2 : 3);
  }
  say(alice, chat, "two", 12);
  say(carol, chat, "three", 13);
  const std::vector<std::string> order{"*", "one", "two", "three"};
  for (const Account& a : {alice, bob, carol}) EXPECT_EQ(texts(history(a, chat)), order);
  // A resend makes nothing new.
  pushes.clear();
  Answer again = say(bob, chat, "one", 11, &pushes);
  EXPECT_EQ(again["updates"].as_vector()[0].as_object().get("id")->as_int(), 3);
  EXPECT_TRUE(pushes.empty());
  EXPECT_EQ(texts(history(alice, chat)), order);
  // 1:1 history does not see chat messages.
  EXPECT_EQ(history(carol, chat)["chats"].as_vector().size(), 1u);
}

TEST_P(ChatsTest, KickedAndLeftMembersKeepHistoryAndGetNothingMore) {
  const int64_t chat = make_chat();
  say(alice, chat, "for all", 1);
  EXPECT_EQ(kick(bob, chat, input_user(bob, carol)).error, "CHAT_ADMIN_REQUIRED");
  std::vector<api::Push> pushes;
  Answer kicked = kick(alice, chat, input_user(alice, carol), &pushes);
  ASSERT_EQ(kicked.name(), "updates") << kicked.error;
  EXPECT_EQ(first_message(kicked.object()).get("action")->as_object().name,
            "messageActionChatDeleteUser");
  ASSERT_EQ(pushes.size(), 3u);  // carol learns it was removed
  Answer carols = pushed(pushes[2]);
  EXPECT_EQ(carols["chats"].as_vector()[0].as_object().name, "chatForbidden");
  EXPECT_EQ(kick(alice, chat, input_user(alice, carol)).error, "USER_NOT_PARTICIPANT");

  EXPECT_EQ(say(carol, chat, "let me in", 2).error, "CHAT_WRITE_FORBIDDEN");
  pushes.clear();
  say(alice, chat, "without carol", 3, &pushes);
  EXPECT_EQ(pushes.size(), 2u);
  EXPECT_EQ(texts(history(carol, chat)), (std::vector<std::string>{"*", "for all", "*"}));
  EXPECT_EQ(chat_as(carol, chat).name, "chatForbidden");

  // bob leaves.
  Answer left = kick(bob, chat, tl::Object("inputUserSelf"));
  ASSERT_EQ(left.name(), "updates") << left.error;
  const tl::Object& bobs_chat = chat_as(bob, chat);
  EXPECT_EQ(bobs_chat.name, "chat");
  EXPECT_TRUE(bobs_chat.get("left")->as_bool());
  EXPECT_EQ(bobs_chat.get("participants_count")->as_int(), 1);
  say(alice, chat, "alone", 4);
  EXPECT_EQ(texts(history(bob, chat)).back(), "*");
  EXPECT_EQ(history(alice, chat)["messages"].as_vector().size(), 6u);
  Answer full = call(bob.key, tl::Object("messages.getFullChat").set("chat_id", L(chat)));
  EXPECT_EQ(full["full_chat"].as_object().get("participants")->as_object().name,
            "chatParticipantsForbidden");
  // Added back, carol sees the chat again from then on.
  Answer added = call(alice.key, tl::Object("messages.addChatUser")
                                     .set("chat_id", L(chat))
                                     .set("user_id", O(input_user(alice, carol)))
                                     .set("fwd_limit", V(0)));
  ASSERT_EQ(added.error, "");
  EXPECT_EQ(first_message(updates_of(added)).get("action")->as_object().name,
            "messageActionChatAddUser");
  EXPECT_EQ(chat_as(carol, chat).name, "chat");
  say(carol, chat, "back", 5);
  EXPECT_EQ(texts(history(carol, chat)).back(), "back");
  EXPECT_EQ(call(alice.key, tl::Object("messages.addChatUser")
                                .set("chat_id", L(chat))
                                .set("user_id", O(input_user(alice, carol)))
                                .set("fwd_limit", V(0)))
                .error,
            "USER_ALREADY_PARTICIPANT");
}

TEST_P(ChatsTest, Errors) {
  EXPECT_EQ(call(alice.key, tl::Object("messages.createChat")
                                .set("users", Vec({O(input_user(alice, bob))}))
                                .set("title", S(" ")))
                .error,
            "CHAT_TITLE_EMPTY");
  EXPECT_EQ(call(alice.key, tl::Object("messages.createChat")
                                .set("users", Vec({O(tl::Object("inputUserSelf"))}))
                                .set("title", S("Solo")))
                .error,
            "USERS_TOO_FEW");
  tl::Object stranger("inputUser");
  stranger.set("user_id", L(bob.id)).set("access_hash", L(1));
  EXPECT_EQ(call(alice.key, tl::Object("messages.createChat")
                                .set("users", Vec({O(stranger)}))
                                .set("title", S("Bad hash")))
                .error,
            "USER_ID_INVALID");
  const int64_t chat = make_chat();
  // Someone who never was a member knows nothing of the chat.
  Account dave = sign_up("9996620004", "Dave", 4);
  EXPECT_EQ(say(dave, chat, "hi", 1).error, "PEER_ID_INVALID");
  EXPECT_EQ(call(dave.key, tl::Object("messages.getFullChat").set("chat_id", L(chat))).error,
            "CHAT_ID_INVALID");
  EXPECT_TRUE(call(dave.key, tl::Object("messages.getChats").set("id", Vec({L(chat)})))["chats"]
                  .as_vector()
                  .empty());
  EXPECT_EQ(kick(dave, chat, tl::Object("inputUserSelf")).error, "CHAT_ID_INVALID");
  EXPECT_EQ(
      call(alice.key,
           tl::Object("messages.editChatTitle").set("chat_id", L(chat)).set("title", S("Trio")))
          .error,
      "CHAT_NOT_MODIFIED");
  std::vector<api::Push> pushes;
  Answer renamed =
      call(bob.key,
           tl::Object("messages.editChatTitle").set("chat_id", L(chat)).set("title", S("Quartet")),
           &pushes);
  ASSERT_EQ(renamed.name(), "updates") << renamed.error;
  EXPECT_EQ(pushes.size(), 3u);
  EXPECT_EQ(chat_as(carol, chat).get("title")->as_string(), "Quartet");
  EXPECT_EQ(chat_as(carol, chat).get("version")->as_int(), 2);
}

TEST_P(ChatsTest, DialogsReadHistoryAndDifference) {
  const int64_t chat = make_chat();
  say(alice, chat, "one", 1);
  say(alice, chat, "two", 2);
  Answer list = call(bob.key, tl::Object("messages.getDialogs")
                                  .set("offset_date", V(0))
                                  .set("offset_id", V(0))
                                  .set("offset_peer", O(tl::Object("inputPeerEmpty")))
                                  .set("limit", V(100))
                                  .set("hash", L(0)));
  ASSERT_EQ(list.name(), "messages.dialogs") << list.error;
  const tl::Object& dialog = list["dialogs"].as_vector()[0].as_object();
  EXPECT_EQ(dialog.get("peer")->as_object().name, "peerChat");
  EXPECT_EQ(dialog.get("unread_count")->as_int(), 3);
  EXPECT_EQ(list["chats"].as_vector()[0].as_object().get("id")->as_long(), chat);
  EXPECT_EQ(list["users"].as_vector().size(), 2u);  // bob and the sender

  std::vector<api::Push> pushes;
  Answer read =
      call(bob.key,
           tl::Object("messages.readHistory").set("peer", O(chat_peer(chat))).set("max_id", V(2)),
           &pushes);
  ASSERT_EQ(read.name(), "messages.affectedMessages") << read.error;
  EXPECT_EQ(read["pts"].as_int(), 5);  // 1 + three messages + this read
  ASSERT_EQ(pushes.size(), 1u);        // only bob's own sessions
  Answer pushed_read = pushed(pushes[0]);
  const tl::Object& inbox = pushed_read["update"].as_object();
  EXPECT_EQ(inbox.get("peer")->as_object().name, "peerChat");
  EXPECT_EQ(inbox.get("still_unread_count")->as_int(), 1);

  Answer d = call(bob.key, tl::Object("updates.getDifference")
                               .set("pts", V(1))
                               .set("date", V(int32_t(now)))
                               .set("qts", V(0)));
  ASSERT_EQ(d.name(), "updates.difference") << d.error;
  const auto& messages = d["new_messages"].as_vector();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].as_object().name, "messageService");
  EXPECT_EQ(messages[2].as_object().get("message")->as_string(), "two");
  EXPECT_EQ(d["other_updates"].as_vector()[0].as_object().get("peer")->as_object().name,
            "peerChat");
  EXPECT_EQ(d["chats"].as_vector().size(), 1u);
  EXPECT_EQ(d["users"].as_vector().size(), 3u);  // the create action names all three
}

MESSENGER_LAYERS(ChatsTest);

}  // namespace
}  // namespace mtedge::backend::embedded::testing
