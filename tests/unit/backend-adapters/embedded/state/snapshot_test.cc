// Model::snapshot: replaying the records it emits into an empty model gives an equal model
// (every part: users, phones, usernames, keys, codes, boxes with messages, events, dialogs,
// random_id dedupe, contacts), and the rebuilt model goes on exactly like the original.
#include <gtest/gtest.h>

#include <variant>
#include <vector>

#include "backend-adapters/embedded/state/model.h"
#include "backend-adapters/embedded/state/records.h"

namespace mtedge::backend::embedded::state {
namespace {

// A model built from every kind of change, in the order a messenger makes them.
std::vector<Record> history() {
  Entity bold{"messageEntityBold", 0, 2, {}};
  Entity url{"messageEntityTextUrl", 3, 4, {{"url", EntityField::Kind::kString, 0, "http://x"}}};
  return {
      CodeSent{"15550001", "h1", "12345", 100},
      CodeSent{"15550002", "h2", "22222", 100},
      CodeUsed{"15550002"},
      CodeSent{"15550003", "h3", "33333", 200},  // still pending
      UserCreated{1000001, "15550001", "Ann", "A", 0x1111, 10},
      UserCreated{1000002, "15550002", "Bob", "", 0x2222, 11},
      UserCreated{1000003, "15550003", "Cy", "", 0x3333, 12},
      KeyBound{0xa1, 1000001},
      KeyBound{0xa2, 1000001},
      KeyBound{0xb1, 1000002},
      KeyBound{0xc1, 1000003},
      KeyUnbound{0xc1},
      KeyBound{0xa3, 1000001},
      KeyUnbound{0xa2},  // the middle key of three: the order of the rest is kept
      ProfileSet{1000001, "Anne", "B", "about me"},
      UsernameSet{1000001, "AnnE"},
      UsernameSet{1000002, "bob"},
      UsernameSet{1000002, ""},
      ContactAdded{1000001, 1000002, "Bobby", ""},
      ContactAdded{1000002, 1000001, "Ann", "X"},
      MessageSent{1000001, 1000002, 77, 20, "hi there", {bold, url}, 1, 2, 1, 2},
      MessageSent{1000002, 1000001, 78, 21, "yo", {}, 2, 3, 2, 3},
      MessageSent{1000001, 1000001, 79, 22, "note to self", {}, 3, 4, 0, 0},
      HistoryRead{1000002, 1000001, 1, 4, 1, 5},
      HistoryRead{1000001, 1000002, 2, 6, 0, 0},
      MessageSent{1000001, 1000002, 0, 23, "no random id", {}, 4, 7, 3, 5},
      ContactAdded{1000003, 1000001, "", ""},  // a box with contacts only
      // A basic group: created, a message, a member removed (the service message reaches it
      // too), renamed, the member back; every member's copy under its own id and pts.
      ChatCreated{1001, 1000001, "Trio", 24, {1000001, 1000002, 1000003}},
      ChatMessageSent{1001,
                      1000001,
                      0,
                      24,
                      "",
                      {},
                      ChatAction{ChatAction::Kind::kCreate, "Trio", {1000002, 1000003}},
                      {{1000001, 5, 8}, {1000002, 4, 6}, {1000003, 1, 2}}},
      ChatMessageSent{1001,
                      1000002,
                      90,
                      25,
                      "group hi",
                      {bold},
                      {},
                      {{1000001, 6, 9}, {1000002, 5, 7}, {1000003, 2, 3}}},
      ChatUserRemoved{1001, 1000003, true},
      ChatMessageSent{1001,
                      1000001,
                      0,
                      26,
                      "",
                      {},
                      ChatAction{ChatAction::Kind::kDeleteUser, "", {1000003}},
                      {{1000001, 7, 10}, {1000002, 6, 8}, {1000003, 3, 4}}},
      ChatTitleSet{1001, "Duo"},
      ChatUserAdded{1001, 1000003, 1000001, 27},
      // An edit, a delete of two messages, blocks (one undone).
      MessageEdited{1000001, 1, 11, 28, "hi there (edited)", {}},
      MessagesDeleted{1000002, {1, 2}, 10},
      PeerBlocked{1000002, 1000003, 29},
      PeerBlocked{1000001, 1000003, 30},
      PeerUnblocked{1000001, 1000003},
  };
}

Model build(const std::vector<Record>& records) {
  Model model;
  for (const Record& r : records) model.apply(r);
  return model;
}

Model rebuilt(const Model& model, std::vector<Record>* emitted = nullptr) {
  Model copy;
  model.snapshot([&](const Record& r) {
    // Through the byte form, as a compacted log holds it.
    auto decoded = decode(encode(r));
    ASSERT_TRUE(decoded.is_ok()) << decoded.message();
    copy.apply(decoded.value());
    if (emitted) emitted->push_back(r);
  });
  return copy;
}

TEST(Snapshot, ReplayGivesAnEqualModel) {
  const Model model = build(history());
  const Model copy = rebuilt(model);
  EXPECT_TRUE(copy == model);
  // Spot checks of what equality covers.
  EXPECT_EQ(copy.user_of_key(0xa3), 1000001);
  EXPECT_EQ(copy.keys_of(1000001), (std::vector<uint64_t>{0xa1, 0xa3}));
  EXPECT_EQ(copy.user_by_username("anne")->id, 1000001);
  EXPECT_EQ(copy.user_by_username("bob"), nullptr);
  ASSERT_NE(copy.code("15550003"), nullptr);
  EXPECT_EQ(copy.code("15550002"), nullptr);
  EXPECT_EQ(copy.box(1000001)->sent_by_random_id.at(77), 1);
  EXPECT_EQ(copy.box(1000001)->messages[0].text, "hi there (edited)");
  EXPECT_EQ(copy.box(1000001)->messages[0].edit_date, 28);
  EXPECT_TRUE(copy.box(1000001)->messages[0].entities.empty());
  EXPECT_EQ(copy.box(1000001)->pts, 11);
  EXPECT_EQ(copy.box(1000002)->dialogs.at(1000001).read_inbox_max_id, 1);
  EXPECT_TRUE(copy.box(1000002)->messages[0].deleted);
  EXPECT_EQ(copy.box(1000003)->messages[0].action.kind, ChatAction::Kind::kCreate);
  EXPECT_EQ(copy.box(1000003)->messages[1].from, 1000002);
  EXPECT_EQ(copy.box(1000003)->messages[1].peer, chat_peer(1001));
  ASSERT_NE(copy.chat(1001), nullptr);
  EXPECT_EQ(copy.chat(1001)->title, "Duo");
  EXPECT_EQ(copy.chat(1001)->version, 4);
  EXPECT_EQ(copy.chat(1001)->members.size(), 3u);
  EXPECT_EQ(copy.next_chat_id(), 1002);
  EXPECT_TRUE(copy.box(1000002)->blocked.contains(1000003));
  EXPECT_FALSE(copy.box(1000001)->blocked.contains(1000003));
}

TEST(Snapshot, EqualityNoticesADifference) {
  std::vector<Record> records = history();
  const Model model = build(records);
  records.push_back(MessageSent{1000002, 1000001, 80, 30, "one more", {}, 4, 6, 5, 8});
  EXPECT_FALSE(build(records) == model);
  records = history();
  records.push_back(KeyBound{0xa4, 1000001});
  EXPECT_FALSE(build(records) == model);
}

TEST(Snapshot, RebuiltModelGoesOnLikeTheOriginal) {
  Model model = build(history());
  Model copy = rebuilt(model);
  const std::vector<Record> more = {
      MessageSent{1000002, 1000001, 81, 40, "after", {}, 4, 6, 5, 8},
      HistoryRead{1000001, 1000002, 5, 9, 4, 7},
      UserCreated{copy.next_user_id(), "15550009", "Di", "", 0x9999, 41},
  };
  for (const Record& r : more) {
    model.apply(r);
    copy.apply(r);
  }
  EXPECT_TRUE(copy == model);
}

TEST(Snapshot, OfTheRebuiltModelIsTheSame) {
  const Model model = build(history());
  std::vector<Record> first;
  std::vector<Record> second;
  const Model copy = rebuilt(model, &first);
  rebuilt(copy, &second);
  EXPECT_EQ(first.size(), second.size());
  EXPECT_TRUE(rebuilt(copy) == model);
}

TEST(Snapshot, EmptyModelEmitsNothing) {
  size_t count = 0;
  Model().snapshot([&](const Record&) { ++count; });
  EXPECT_EQ(count, 0u);
}

// A tripwire: a new record type changes the model, so Model::snapshot (state/snapshot.cc) must
// emit what it adds, and history() above must use it. Then update the count.
TEST(Snapshot, EveryRecordTypeIsCovered) {
  EXPECT_EQ(std::variant_size_v<Record>, 24u)
      << "a record type was added: emit its state in Model::snapshot, add it to history() in "
         "this test, then update this count";
  std::vector<bool> seen(std::variant_size_v<Record>, false);
  for (const Record& r : history()) seen[r.index()] = true;
  const Model model = build(history());
  model.snapshot([&](const Record& r) { seen[r.index()] = true; });
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_TRUE(seen[i]) << "record tag " << i + 1;
}

}  // namespace
}  // namespace mtedge::backend::embedded::state
