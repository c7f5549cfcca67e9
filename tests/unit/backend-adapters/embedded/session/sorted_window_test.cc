// SortedWindow against a std::map model: every query after random inserts (mostly increasing,
// some older, some repeated) and forgetting from the front.
#include "backend-adapters/embedded/session/sorted_window.h"

#include <gtest/gtest.h>

#include <iterator>
#include <map>
#include <memory>
#include <random>

#include "backend-adapters/embedded/session/session.h"

namespace mtedge::backend::embedded {
namespace {

using Window = SortedWindow<ReceivedMsg>;

struct Model {
  std::map<int64_t, int32_t> ids;  // msg_id -> seq_no
};

void expect_same(const Window& r, const Model& m, int64_t probe) {
  ASSERT_EQ(r.size(), m.ids.size());
  auto it = m.ids.find(probe);
  const ReceivedMsg* found = r.find(probe);
  ASSERT_EQ(found != nullptr, it != m.ids.end()) << probe;
  if (found) {
    EXPECT_EQ(found->seq_no, it->second);
  }

  auto upper = m.ids.upper_bound(probe);
  const ReceivedMsg* before = r.at_or_before(probe);
  if (upper == m.ids.begin()) {
    EXPECT_EQ(before, nullptr) << probe;
  } else {
    ASSERT_NE(before, nullptr) << probe;
    EXPECT_EQ(before->id, std::prev(upper)->first);
  }
  const ReceivedMsg* after = r.after(probe);
  if (upper == m.ids.end()) {
    EXPECT_EQ(after, nullptr) << probe;
  } else {
    ASSERT_NE(after, nullptr) << probe;
    EXPECT_EQ(after->id, upper->first);
  }
}

TEST(SortedWindow, EmptyAnswersNothing) {
  Window r;
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.find(4), nullptr);
  EXPECT_EQ(r.at_or_before(4), nullptr);
  EXPECT_EQ(r.after(4), nullptr);
}

TEST(SortedWindow, NeighboursAndReplace) {
  Window r;
  r.insert_or_assign({100, 1, false});
  r.insert_or_assign({200, 3, true});
  r.insert_or_assign({150, 2, false});  // older than the newest: inserted in place
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.at_or_before(150)->id, 150);
  EXPECT_EQ(r.at_or_before(149)->id, 100);
  EXPECT_EQ(r.after(150)->id, 200);
  EXPECT_EQ(r.at_or_before(99), nullptr);
  EXPECT_EQ(r.after(200), nullptr);
  EXPECT_TRUE(r.find(200)->container);
  r.insert_or_assign({200, 5, false});  // same id: replaced, not added
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.find(200)->seq_no, 5);
  EXPECT_FALSE(r.find(200)->container);
  EXPECT_EQ(r.pop_oldest(), 100);
  EXPECT_EQ(r.at_or_before(149), nullptr);
  EXPECT_EQ(r.pop_oldest(), 150);
  EXPECT_EQ(r.pop_oldest(), 200);
  EXPECT_TRUE(r.empty());
  r.insert_or_assign({50, 7, false});  // usable again after emptying
  EXPECT_EQ(r.find(50)->seq_no, 7);
}

TEST(SortedWindow, IteratesLiveEntriesInOrderAndReleasesForgottenOnes) {
  SortedWindow<StoredResult> results;
  auto body = std::make_shared<const Bytes>(Bytes{1, 2, 3});
  for (int64_t id : {40, 10, 30, 20}) results.insert_or_assign({id, OutMessage{id + 1, 1, body}});
  EXPECT_EQ(body.use_count(), 5);
  EXPECT_EQ(results.pop_oldest(), 10);
  EXPECT_EQ(body.use_count(), 4);  // the forgotten answer no longer holds the body
  std::vector<int64_t> ids;
  for (const StoredResult& r : results) ids.push_back(r.answer.msg_id);
  EXPECT_EQ(ids, (std::vector<int64_t>{21, 31, 41}));
}

TEST(SortedWindow, MatchesMapUnderRandomUse) {
  std::mt19937_64 rng(7);
  Window r;
  Model m;
  int64_t next = 1000;
  for (int step = 0; step < 20000; ++step) {
    const uint64_t action = rng() % 10;
    if (action < 6) {  // the common case: a newer id
      next += 4 + int64_t(rng() % 8) * 4;
      const auto seq = int32_t(rng() % 1000);
      r.insert_or_assign({next, seq, false});
      m.ids[next] = seq;
    } else if (action < 8) {  // an older id, maybe one already here
      const int64_t id = next - int64_t(rng() % 400);
      const auto seq = int32_t(rng() % 1000);
      r.insert_or_assign({id, seq, true});
      m.ids[id] = seq;
    } else if (!m.ids.empty()) {  // forget the oldest (the window is bounded)
      ASSERT_EQ(r.pop_oldest(), m.ids.begin()->first);
      m.ids.erase(m.ids.begin());
    }
    expect_same(r, m, next - int64_t(rng() % 600));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace mtedge::backend::embedded
