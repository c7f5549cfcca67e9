// State records: every kind survives encode/decode; decode refuses what is not one record;
// replaying the records a store applied rebuilds the same model.
#include "backend-adapters/embedded/state/records.h"

#include <gtest/gtest.h>

#include "backend-adapters/embedded/state/model.h"
#include "tests/unit/backend-adapters/embedded/biz/messenger_harness.h"

namespace mtedge::backend::embedded::state {
namespace {

std::vector<Record> one_of_each() {
  Entity url{"messageEntityTextUrl", 1, 2, {{"url", EntityField::Kind::kString, 0, "https://x"}}};
  Entity mention{"messageEntityMentionName", 0, 3, {{"user_id", EntityField::Kind::kLong, 7, ""}}};
  Entity quote{"messageEntityBlockquote", 0, 1, {{"collapsed", EntityField::Kind::kTrue, 0, ""}}};
  return {
      CodeSent{"9996621234", "abcd", "22222", 1000},
      CodeUsed{"9996621234"},
      UserCreated{1000001, "9996621234", "A", "B", 0xfeedbeefcafe, 99},
      KeyBound{0x1122334455667788ull, 1000001},
      KeyUnbound{0x1122334455667788ull},
      ProfileSet{1000001, "C", "D", "about"},
      UsernameSet{1000001, "alice"},
      ContactAdded{1, 2, "F", "L"},
      MessageSent{1, 2, -5, 123, "hi", {url, mention, quote}, 1, 2, 3, 4},
      HistoryRead{1, 2, 3, 4, 5, 6},
      ChatCreated{1001, 1000001, "Trio", 77, {1000001, 1000002, 1000003}},
      ChatUserAdded{1001, 1000004, 1000001, 78},
      ChatUserRemoved{1001, 1000004, true},
      ChatTitleSet{1001, "Quartet"},
      ChatMessageSent{1001, 1000001, 9, 79, "hey", {url}, {}, {{1000001, 5, 6}, {1000002, 7, 8}}},
      ChatMessageSent{1001,
                      1000001,
                      0,
                      80,
                      "",
                      {},
                      {ChatAction::Kind::kCreate, "Trio", {1000001, 1000002}},
                      {{1000001, 6, 7}}},
      MessageEdited{1, 2, 3, 4, "edited", {url}},
      MessagesDeleted{1, {3, 1, 2}, 7},
      PeerBlocked{1, 2, 99},
      PeerUnblocked{1, 2}};
}

TEST(StateRecords, EveryKindRoundTrips) {
  for (const Record& record : one_of_each()) {
    Bytes bytes = encode(record);
    auto decoded = decode(bytes);
    ASSERT_TRUE(decoded.is_ok()) << decoded.message();
    EXPECT_TRUE(decoded.value() == record) << "tag " << int(bytes[0]);
  }
}

TEST(StateRecords, DecodeRefusesWhatIsNotOneRecord) {
  EXPECT_FALSE(decode({}).is_ok());
  Bytes unknown{0x7f, 0, 0, 0, 0};
  EXPECT_FALSE(decode(unknown).is_ok());
  for (const Record& record : one_of_each()) {
    Bytes bytes = encode(record);
    Bytes trailing = bytes;
    trailing.push_back(0);
    EXPECT_FALSE(decode(trailing).is_ok());
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      EXPECT_FALSE(decode(ByteView(bytes).subspan(0, cut)).is_ok()) << cut;
    }
  }
  // An entity count far beyond any message.
  Bytes huge = encode(MessageSent{});
  Bytes lying = huge;
  // from, to, random_id (8 each), date (4), text (4 bytes: empty string padded) then the count.
  const size_t count_at = 1 + 8 + 8 + 8 + 4 + 4;
  lying[count_at + 3] = 0x7f;
  EXPECT_FALSE(decode(lying).is_ok());
  // A bool that is neither boolTrue nor boolFalse, an action kind out of range.
  Bytes removed = encode(ChatUserRemoved{1, 2, true});
  removed.back() ^= 1;
  EXPECT_FALSE(decode(removed).is_ok());
  Bytes service = encode(ChatMessageSent{});
  // chat_id, from, random_id (8 each), date (4), text, entity count (4 each), then the kind.
  service[1 + 8 + 8 + 8 + 4 + 4 + 4] = 5;
  EXPECT_FALSE(decode(service).is_ok());
  // A message id count far beyond any deleteMessages call.
  Bytes ids = encode(MessagesDeleted{1, {}, 0});
  ids[1 + 8 + 3] = 0x7f;  // after owner: the count
  EXPECT_FALSE(decode(ids).is_ok());
}

// A chat message puts one copy in every listed box, under that box's id and pts, as a chat
// dialog (key -chat_id); members come and go with the version bumped.
TEST(StateModel, ChatRecordsApply) {
  Model model;
  model.apply(UserCreated{1000001, "1", "A", "", 1, 0});
  model.apply(UserCreated{1000002, "2", "B", "", 2, 0});
  model.apply(ChatCreated{1001, 1000001, "Duo", 5, {1000001, 1000002, 1000001}});
  const Chat* chat = model.chat(1001);
  ASSERT_NE(chat, nullptr);
  EXPECT_EQ(chat->members.size(), 2u);
  EXPECT_EQ(chat->version, 1);
  EXPECT_EQ(model.next_chat_id(), 1002);
  model.apply(
      ChatMessageSent{1001, 1000002, 42, 6, "hi", {}, {}, {{1000001, 1, 2}, {1000002, 1, 2}}});
  const Box& a = *model.box(1000001);
  const Box& b = *model.box(1000002);
  ASSERT_EQ(a.messages.size(), 1u);
  EXPECT_EQ(a.messages[0].peer, chat_peer(1001));
  EXPECT_EQ(a.messages[0].from, 1000002);
  EXPECT_FALSE(a.messages[0].out);
  EXPECT_TRUE(b.messages[0].out);
  EXPECT_EQ(a.dialogs.at(chat_peer(1001)).unread_count, 1);
  EXPECT_EQ(b.sent_by_random_id.at(42), 1);
  EXPECT_EQ(a.pts, 2);
  model.apply(ChatUserRemoved{1001, 1000002, true});
  EXPECT_FALSE(chat->is_member(1000002));
  EXPECT_TRUE(chat->kicked.contains(1000002));
  EXPECT_EQ(chat->version, 2);
  model.apply(ChatUserAdded{1001, 1000002, 1000001, 7});
  EXPECT_TRUE(chat->is_member(1000002));
  EXPECT_FALSE(chat->kicked.contains(1000002));
  model.apply(ChatTitleSet{1001, "Again"});
  EXPECT_EQ(chat->title, "Again");
  EXPECT_EQ(chat->version, 4);
  // Records naming a chat that does not exist change nothing.
  model.apply(ChatUserAdded{9, 1000002, 1000001, 7});
  model.apply(ChatTitleSet{9, "x"});
  EXPECT_EQ(model.chat(9), nullptr);
}

class ReplayTest : public testing::MessengerTest {};

TEST_P(ReplayTest, ReplayingTheRecordsRebuildsTheModel) {
  auto alice = sign_up("9996620001", "Alice", 1);
  auto bob = sign_up("9996620002", "Bob", 2);
  for (int i = 1; i <= 5; ++i) {
    std::string text = "m";
    text += std::to_string(i);  // not "m" + ...: a g++ 12 -O3 -Wrestrict false positive
    send(alice, bob, text, i);
  }
  auto carol = sign_up("9996620003", "Carol", 3);
  auto input_user = [&](const testing::Account& target) {
    return testing::O(testing::tl::Object("inputUser")
                          .set("user_id", testing::L(target.id))
                          .set("access_hash", testing::L(hash_for(alice, target))));
  };
  call(alice.key, testing::tl::Object("messages.createChat")
                      .set("users", testing::Vec({input_user(bob), input_user(carol)}))
                      .set("title", testing::S("Trio")));
  const int64_t chat_id = store_->read([](const Model& m) { return m.next_chat_id() - 1; });
  call(
      bob.key,
      testing::tl::Object("messages.sendMessage")
          .set("peer",
               testing::O(testing::tl::Object("inputPeerChat").set("chat_id", testing::L(chat_id))))
          .set("message", testing::S("to the chat"))
          .set("random_id", testing::L(99)));
  call(alice.key, testing::tl::Object("messages.deleteChatUser")
                      .set("chat_id", testing::L(chat_id))
                      .set("user_id", input_user(carol)));
  call(bob.key, testing::tl::Object("messages.readHistory")
                    .set("peer", testing::O(input_peer(bob, alice)))
                    .set("max_id", testing::V(0)));
  call(alice.key, testing::tl::Object("messages.editMessage")
                      .set("peer", testing::O(input_peer(alice, bob)))
                      .set("id", testing::V(2))
                      .set("message", testing::S("edited")));
  call(alice.key, testing::tl::Object("messages.deleteMessages")
                      .set("revoke", testing::tl::Value::boolean(true))
                      .set("id", testing::Vec({testing::V(5)})));
  call(bob.key,
       testing::tl::Object("contacts.block").set("id", testing::O(input_peer(bob, alice))));
  Model replayed;
  for (const Bytes& bytes : records_) {
    auto record = decode(bytes);
    ASSERT_TRUE(record.is_ok()) << record.message();
    replayed.apply(record.value());
  }
  store_->read([&](const Model& live) {
    const Chat& live_chat = *live.chat(chat_id);
    const Chat* replayed_chat = replayed.chat(chat_id);
    ASSERT_NE(replayed_chat, nullptr);
    EXPECT_EQ(live_chat.members.size(), replayed_chat->members.size());
    EXPECT_TRUE(live_chat.kicked.contains(carol.id));
    EXPECT_EQ(live_chat.kicked, replayed_chat->kicked);
    EXPECT_EQ(live_chat.version, replayed_chat->version);
    for (const auto& account : {alice, bob, carol}) {
      const User* a = live.user(account.id);
      const User* b = replayed.user(account.id);
      ASSERT_NE(b, nullptr);
      EXPECT_EQ(a->username, b->username);
      EXPECT_EQ(a->access_secret, b->access_secret);
      EXPECT_EQ(replayed.user_of_key(account.key), account.id);
      const Box& x = *live.box(account.id);
      const Box& y = *replayed.box(account.id);
      EXPECT_EQ(x.pts, y.pts);
      ASSERT_EQ(x.messages.size(), y.messages.size());
      for (size_t i = 0; i < x.messages.size(); ++i) {
        EXPECT_EQ(x.messages[i].text, y.messages[i].text);
        EXPECT_EQ(x.messages[i].pts, y.messages[i].pts);
        EXPECT_EQ(x.messages[i].deleted, y.messages[i].deleted);
        EXPECT_EQ(x.messages[i].edit_date, y.messages[i].edit_date);
      }
      EXPECT_EQ(x.events.size(), y.events.size());
      EXPECT_EQ(x.blocked, y.blocked);
      EXPECT_EQ(x.dialogs.begin()->second.top_message, y.dialogs.begin()->second.top_message);
      EXPECT_EQ(x.dialogs.begin()->second.read_inbox_max_id,
                y.dialogs.begin()->second.read_inbox_max_id);
    }
  });
}

MESSENGER_LAYERS(ReplayTest);

// Model::apply of the edit, delete and block records, without the API around them.
class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model.apply(UserCreated{1, "9996620001", "A", "", 1, 0});
    model.apply(UserCreated{2, "9996620002", "B", "", 2, 0});
    // 1 -> 2 twice, 2 -> 1 once: box 1 ids 1, 2 (out), 3 (in); box 2 ids 1, 2 (in), 3 (out).
    model.apply(MessageSent{1, 2, 11, 100, "a", {}, 1, 2, 1, 2});
    model.apply(MessageSent{1, 2, 12, 101, "b", {}, 2, 3, 2, 3});
    model.apply(MessageSent{2, 1, 13, 102, "c", {}, 3, 4, 3, 4});
  }
  const Box& box(int64_t user) { return *model.box(user); }
  Model model;
};

TEST_F(ModelTest, EditChangesOneCopyAndAdvancesItsPts) {
  model.apply(MessageEdited{2, 1, 5, 200, "A", {}});
  EXPECT_EQ(box(2).message(1)->text, "A");
  EXPECT_EQ(box(2).message(1)->edit_date, 200);
  EXPECT_EQ(box(2).pts, 5);
  EXPECT_EQ(box(2).events.back().kind, Event::Kind::kEditMessage);
  EXPECT_EQ(box(1).message(1)->text, "a");
}

TEST_F(ModelTest, DeleteMovesTheTopBackAndRecountsUnread) {
  ASSERT_EQ(box(2).dialogs.at(1).top_message, 3);
  ASSERT_EQ(box(2).dialogs.at(1).unread_count, 2);
  model.apply(MessagesDeleted{2, {3, 2}, 6});
  EXPECT_EQ(box(2).dialogs.at(1).top_message, 1);
  EXPECT_EQ(box(2).dialogs.at(1).unread_count, 1);
  EXPECT_EQ(box(2).pts, 6);
  EXPECT_EQ(box(2).events.back().pts_count(), 2);
  EXPECT_EQ(box(2).live_message(2), nullptr);
  ASSERT_NE(box(2).message(2), nullptr);  // the id stays taken, the text goes
  EXPECT_EQ(box(2).message(2)->text, "");
  EXPECT_EQ(box(2).next_msg_id(), 4);
  model.apply(MessagesDeleted{2, {1}, 7});
  EXPECT_EQ(box(2).dialogs.at(1).top_message, 0);
  EXPECT_EQ(box(1).dialogs.at(2).top_message, 3);  // the other box is untouched
}

TEST_F(ModelTest, BlockedSenderGetsNoCopy) {
  model.apply(PeerBlocked{2, 1, 300});
  EXPECT_EQ(box(2).blocked.at(1), 300);
  // The writer leaves to_msg_id 0 for a blocked recipient.
  model.apply(MessageSent{1, 2, 14, 103, "d", {}, 4, 5, 0, 0});
  EXPECT_EQ(box(1).message(4)->peer_msg_id, 0);
  EXPECT_EQ(box(2).messages.size(), 3u);
  model.apply(PeerUnblocked{2, 1});
  EXPECT_TRUE(box(2).blocked.empty());
}

TEST_F(ModelTest, SavedByFollowsContacts) {
  EXPECT_TRUE(model.saved_by(1).empty());
  model.apply(ContactAdded{2, 1, "A", ""});
  EXPECT_EQ(model.saved_by(1), std::vector<int64_t>({2}));
}

}  // namespace
}  // namespace mtedge::backend::embedded::state
