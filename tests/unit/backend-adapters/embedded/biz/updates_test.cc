// updates.getState and updates.getDifference: one pts per user, difference / differenceSlice
// paging that always moves forward, differenceEmpty when up to date, differenceTooLong for a
// pts ahead of the server's.
#include "tests/unit/backend-adapters/embedded/biz/messenger_harness.h"

namespace mtedge::backend::embedded::testing {
namespace {

class UpdatesTest : public TwoAccountsTest {
 protected:
  Answer state(const Account& a) { return call(a.key, tl::Object("updates.getState")); }
  Answer difference(const Account& a, int32_t pts) {
    return call(a.key, tl::Object("updates.getDifference")
                           .set("pts", V(pts))
                           .set("date", V(int32_t(now)))
                           .set("qts", V(0)));
  }
};

TEST_P(UpdatesTest, StateAndDifference) {
  Answer s = state(bob);
  ASSERT_EQ(s.name(), "updates.state");
  EXPECT_EQ(s["pts"].as_int(), 1);
  EXPECT_EQ(s["date"].as_int(), int32_t(now));
  EXPECT_EQ(difference(bob, 1).name(), "updates.differenceEmpty");

  send(alice, bob, "one", 1);
  send(alice, bob, "two", 2);
  call(bob.key, tl::Object("messages.readHistory")
                    .set("peer", O(input_peer(bob, alice)))
                    .set("max_id", V(1)));
  s = state(bob);
  EXPECT_EQ(s["pts"].as_int(), 4);
  EXPECT_EQ(s["unread_count"].as_int(), 1);

  Answer d = difference(bob, 1);
  ASSERT_EQ(d.name(), "updates.difference") << d.error;
  const auto& messages = d["new_messages"].as_vector();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].as_object().get("message")->as_string(), "one");
  EXPECT_EQ(messages[1].as_object().get("message")->as_string(), "two");
  const auto& others = d["other_updates"].as_vector();
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0].as_object().name, "updateReadHistoryInbox");
  EXPECT_EQ(others[0].as_object().get("max_id")->as_int(), 1);
  EXPECT_EQ(d["state"].as_object().get("pts")->as_int(), 4);
  EXPECT_EQ(d["users"].as_vector().size(), 2u);
  // From the middle: only what came after.
  d = difference(bob, 3);
  EXPECT_TRUE(d["new_messages"].as_vector().empty());
  EXPECT_EQ(d["other_updates"].as_vector().size(), 1u);
  EXPECT_EQ(difference(bob, 4).name(), "updates.differenceEmpty");
  // Alice sees the read receipt in hers.
  d = difference(alice, 3);
  ASSERT_EQ(d["other_updates"].as_vector().size(), 1u);
  EXPECT_EQ(d["other_updates"].as_vector()[0].as_object().name, "updateReadHistoryOutbox");
  // A pts the server never gave (its state was lost): start over from the server's.
  Answer too_long = difference(bob, 50);
  ASSERT_EQ(too_long.name(), "updates.differenceTooLong");
  EXPECT_EQ(too_long["pts"].as_int(), 4);
}

TEST_P(UpdatesTest, LongDifferencesComeInSlicesThatMoveForward) {
  for (int i = 1; i <= 250; ++i) send(alice, bob, std::string("m").append(std::to_string(i)), i);
  int32_t pts = 1;
  std::vector<std::string> seen;
  int calls = 0;
  for (;;) {
    ASSERT_LT(++calls, 10) << "getDifference does not converge";
    Answer d = difference(bob, pts);
    for (const tl::Value& m : d["new_messages"].as_vector()) {
      seen.push_back(m.as_object().get("message")->as_string());
    }
    if (d.name() == "updates.differenceSlice") {
      const int32_t next = d["intermediate_state"].as_object().get("pts")->as_int();
      ASSERT_GT(next, pts);
      pts = next;
      continue;
    }
    ASSERT_EQ(d.name(), "updates.difference");
    EXPECT_EQ(d["state"].as_object().get("pts")->as_int(), 251);
    break;
  }
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(seen.size(), 250u);
  EXPECT_EQ(seen.front(), "m1");
  EXPECT_EQ(seen.back(), "m250");
}

MESSENGER_LAYERS(UpdatesTest);

}  // namespace
}  // namespace mtedge::backend::embedded::testing
