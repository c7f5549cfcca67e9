// messages.editMessage (author only, both copies, updateEditMessage live and in
// getDifference) and messages.deleteMessages (own box or, with revoke, both; dialogs and unread
// counts follow; updateDeleteMessages live and in getDifference).
#include "tests/unit/backend-adapters/embedded/biz/messenger_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

class EditDeleteTest : public TwoAccountsTest {
 protected:
  Answer edit(const Account& owner, const Account& peer, int32_t id, const std::string& text,
              std::vector<api::Push>* pushes = nullptr) {
    return call(owner.key,
                tl::Object("messages.editMessage")
                    .set("peer", O(input_peer(owner, peer)))
                    .set("id", V(id))
                    .set("message", S(text)),
                pushes);
  }
  Answer remove(const Account& owner, std::vector<int32_t> ids, bool revoke,
                std::vector<api::Push>* pushes = nullptr) {
    std::vector<tl::Value> list;
    for (int32_t id : ids) list.push_back(V(id));
    tl::Object q("messages.deleteMessages");
    q.set("id", Vec(std::move(list)));
    if (revoke) q.set("revoke", tl::Value::boolean(true));
    return call(owner.key, q, pushes);
  }
  Answer difference(const Account& a, int32_t pts) {
    return call(a.key, tl::Object("updates.getDifference")
                           .set("pts", V(pts))
                           .set("date", V(int32_t(now)))
                           .set("qts", V(0)));
  }
  std::vector<int32_t> history_ids(const Account& owner, const Account& peer) {
    Answer h = call(owner.key, history_query(input_peer(owner, peer)));
    std::vector<int32_t> out;
    for (const tl::Value& m : h["messages"].as_vector())
      out.push_back(m.as_object().get("id")->as_int());
    return out;
  }
  // The one dialog of `owner` (top_message, unread_count), or {0, 0} without one.
  std::pair<int32_t, int32_t> dialog(const Account& owner) {
    Answer d = call(owner.key, tl::Object("messages.getDialogs")
                                   .set("offset_date", V(0))
                                   .set("offset_id", V(0))
                                   .set("offset_peer", O(tl::Object("inputPeerEmpty")))
                                   .set("limit", V(100))
                                   .set("hash", L(0)));
    const auto& dialogs = d["dialogs"].as_vector();
    if (dialogs.empty()) return {0, 0};
    const tl::Object& first = dialogs[0].as_object();
    return {first.get("top_message")->as_int(), first.get("unread_count")->as_int()};
  }
};

TEST_P(EditDeleteTest, EditChangesBothCopiesAndIsPushedAndReplayed) {
  send(alice, bob, "helo", 1);  // alice: id 1 pts 2; bob: id 1 pts 2
  now += 5;
  std::vector<api::Push> pushes;
  tl::Object bold("messageEntityBold");
  bold.set("offset", V(0)).set("length", V(5));
  Answer edited = call(alice.key,
                       tl::Object("messages.editMessage")
                           .set("peer", O(input_peer(alice, bob)))
                           .set("id", V(1))
                           .set("message", S("hello"))
                           .set("entities", Vec({O(bold)})),
                       &pushes);
  ASSERT_EQ(edited.name(), "updates") << edited.error;
  const tl::Object& update = edited["updates"].as_vector()[0].as_object();
  EXPECT_EQ(update.name, "updateEditMessage");
  EXPECT_EQ(update.get("pts")->as_int(), 3);
  const tl::Object& message = update.get("message")->as_object();
  EXPECT_EQ(message.get("message")->as_string(), "hello");
  EXPECT_EQ(message.get("edit_date")->as_int(), int32_t(now));
  EXPECT_EQ(message.get("entities")->as_vector().size(), 1u);

  ASSERT_EQ(pushes.size(), 2u);
  EXPECT_EQ(pushes[0].user_id, alice.id);
  EXPECT_EQ(pushes[1].user_id, bob.id);
  Answer theirs = pushed(pushes[1]);
  ASSERT_EQ(theirs.name(), "updates");
  const tl::Object& their_update = theirs["updates"].as_vector()[0].as_object();
  EXPECT_EQ(their_update.get("pts")->as_int(), 3);
  const tl::Object& their_message = their_update.get("message")->as_object();
  EXPECT_EQ(their_message.get("message")->as_string(), "hello");
  EXPECT_TRUE(their_message.get("out") == nullptr);

  // Bob, offline meanwhile, gets the message as it is now and the edit.
  Answer d = difference(bob, 1);
  ASSERT_EQ(d.name(), "updates.difference") << d.error;
  ASSERT_EQ(d["new_messages"].as_vector().size(), 1u);
  EXPECT_EQ(d["new_messages"].as_vector()[0].as_object().get("message")->as_string(), "hello");
  ASSERT_EQ(d["other_updates"].as_vector().size(), 1u);
  EXPECT_EQ(d["other_updates"].as_vector()[0].as_object().name, "updateEditMessage");
  EXPECT_EQ(d["state"].as_object().get("pts")->as_int(), 3);
}

TEST_P(EditDeleteTest, EditRefusals) {
  send(alice, bob, "text", 1);
  EXPECT_EQ(edit(alice, bob, 1, "text").error, "MESSAGE_NOT_MODIFIED");
  EXPECT_EQ(edit(alice, bob, 2, "new").error, "MESSAGE_ID_INVALID");
  EXPECT_EQ(edit(alice, alice, 1, "new").error, "MESSAGE_ID_INVALID");  // another dialog
  Answer not_author = edit(bob, alice, 1, "mine now");
  EXPECT_EQ(not_author.error_code, 403);
  EXPECT_EQ(not_author.error, "MESSAGE_AUTHOR_REQUIRED");
  EXPECT_EQ(edit(alice, bob, 1, "").error, "MESSAGE_EMPTY");
  EXPECT_EQ(edit(alice, bob, 1, std::string(4097, 'x')).error, "MESSAGE_TOO_LONG");
  remove(alice, {1}, false);
  EXPECT_EQ(edit(alice, bob, 1, "gone").error, "MESSAGE_ID_INVALID");
}

TEST_P(EditDeleteTest, DeleteWithoutRevokeOnlyInTheCallersBox) {
  send(alice, bob, "one", 1);
  send(alice, bob, "two", 2);
  send(bob, alice, "three", 3);  // unread by alice
  std::vector<api::Push> pushes;
  Answer a = remove(alice, {3, 2, 99}, false, &pushes);
  ASSERT_EQ(a.name(), "messages.affectedMessages") << a.error;
  EXPECT_EQ(a["pts"].as_int(), 6);  // 4 + two ids
  EXPECT_EQ(a["pts_count"].as_int(), 2);
  EXPECT_EQ(history_ids(alice, bob), std::vector<int32_t>({1}));
  EXPECT_EQ(dialog(alice), std::make_pair(1, 0));  // top moved back, the unread one is gone
  EXPECT_EQ(history_ids(bob, alice), std::vector<int32_t>({3, 2, 1}));
  ASSERT_EQ(pushes.size(), 1u);  // the caller's other sessions only
  EXPECT_EQ(pushes[0].user_id, alice.id);
  Answer own = pushed(pushes[0]);
  const tl::Object& update = own["update"].as_object();
  EXPECT_EQ(update.name, "updateDeleteMessages");
  EXPECT_EQ(update.get("messages")->as_vector().size(), 2u);
  EXPECT_EQ(update.get("pts_count")->as_int(), 2);
  // Nothing left to delete: no change.
  a = remove(alice, {2, 3}, false);
  EXPECT_EQ(a["pts"].as_int(), 6);
  EXPECT_EQ(a["pts_count"].as_int(), 0);
}

TEST_P(EditDeleteTest, DeleteWithRevokeForBothAndInTheDifference) {
  send(alice, bob, "one", 1);
  send(alice, bob, "two", 2);
  std::vector<api::Push> pushes;
  Answer a = remove(alice, {2}, true, &pushes);
  EXPECT_EQ(a["pts_count"].as_int(), 1);
  EXPECT_EQ(history_ids(bob, alice), std::vector<int32_t>({1}));
  EXPECT_EQ(dialog(bob), std::make_pair(1, 1));  // one unread left
  ASSERT_EQ(pushes.size(), 2u);
  EXPECT_EQ(pushes[1].user_id, bob.id);
  Answer theirs = pushed(pushes[1]);
  const tl::Object& update = theirs["update"].as_object();
  EXPECT_EQ(update.name, "updateDeleteMessages");
  EXPECT_EQ(update.get("messages")->as_vector()[0].as_int(), 2);
  EXPECT_EQ(update.get("pts")->as_int(), 4);
  // Bob catching up: the deleted message is not there, its deletion is.
  Answer d = difference(bob, 1);
  ASSERT_EQ(d["new_messages"].as_vector().size(), 1u);
  ASSERT_EQ(d["other_updates"].as_vector().size(), 1u);
  EXPECT_EQ(d["other_updates"].as_vector()[0].as_object().name, "updateDeleteMessages");
  // Bob revokes Alice's first message (either side may in a 1:1 dialog): both empty.
  remove(bob, {1}, true);
  EXPECT_EQ(dialog(alice), std::make_pair(0, 0));
  EXPECT_EQ(dialog(bob), std::make_pair(0, 0));
  // More than 100 ids in one call.
  std::vector<int32_t> many;
  for (int32_t i = 1; i <= 101; ++i) many.push_back(i);
  EXPECT_EQ(remove(alice, many, false).error, "LIMIT_INVALID");
}

MESSENGER_LAYERS(EditDeleteTest);

}  // namespace
}  // namespace mtedge::backend::embedded::testing
