// TimerHeap on a real libuv loop: nodes fire in deadline order once due, re-arming moves a
// deadline, cancel removes it, on_due() may arm and cancel nodes (itself included), and the
// loop ends when nothing is armed.
#include "io/timer_heap.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <random>
#include <vector>

namespace {

using mtedge::io::TimerHeap;

class TestNode final : public TimerHeap::Node {
 public:
  TestNode(int id, std::vector<int>& fired) : id_(id), fired_(fired) {}
  std::function<void()> then;  // runs inside on_due()
  uint64_t fired_at = 0;
  uv_loop_t* loop = nullptr;

 private:
  void on_due() override {
    fired_.push_back(id_);
    if (loop != nullptr) fired_at = uv_now(loop);
    if (then) then();
  }
  int id_;
  std::vector<int>& fired_;
};

class TimerHeapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    heap_.init(&loop_);
  }
  void TearDown() override {
    heap_.close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }
  uv_loop_t loop_;
  TimerHeap heap_;
  std::vector<int> fired_;
};

TEST_F(TimerHeapTest, FiresInDeadlineOrderAndNotBefore) {
  std::deque<TestNode> nodes;  // nodes do not move
  const uint64_t start = uv_now(&loop_);
  const uint64_t delays[] = {40, 10, 30, 0, 20, 10};
  for (int i = 0; i < 6; ++i) {
    nodes.emplace_back(i, fired_);
    nodes.back().loop = &loop_;
  }
  for (int i = 0; i < 6; ++i) heap_.arm(nodes[size_t(i)], delays[i]);
  EXPECT_EQ(heap_.armed_count(), 6u);
  uv_run(&loop_, UV_RUN_DEFAULT);  // returns once nothing is armed
  ASSERT_EQ(fired_.size(), 6u);
  for (size_t i = 1; i < fired_.size(); ++i) {
    EXPECT_LE(delays[fired_[i - 1]], delays[fired_[i]]) << "order " << i;
  }
  for (int i = 0; i < 6; ++i) {
    EXPECT_GE(nodes[size_t(i)].fired_at, start + delays[i]) << i;
    EXPECT_FALSE(nodes[size_t(i)].armed());
  }
  EXPECT_EQ(heap_.armed_count(), 0u);
}

TEST_F(TimerHeapTest, RearmMovesTheDeadlineAndCancelRemoves) {
  TestNode a(1, fired_), b(2, fired_), c(3, fired_);
  heap_.arm(a, 10);
  heap_.arm(b, 20);
  heap_.arm(c, 30);
  heap_.arm(a, 50);  // later than the others now
  heap_.cancel(b);
  heap_.cancel(b);  // twice: no-op
  EXPECT_FALSE(b.armed());
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_EQ(fired_, (std::vector<int>{3, 1}));
}

TEST_F(TimerHeapTest, OnDueMayArmAndCancel) {
  TestNode a(1, fired_), b(2, fired_), c(3, fired_);
  int a_runs = 0;
  a.then = [&] {
    if (++a_runs < 3) heap_.arm(a, 0);  // itself again, for the next loop turn
    heap_.cancel(c);
  };
  b.then = [&] { heap_.arm(c, 5); };
  heap_.arm(a, 10);
  heap_.arm(b, 1);
  uv_run(&loop_, UV_RUN_DEFAULT);
  // b arms c for 5 ms; a (due at 10 ms) cancels c before or after it fired, then re-arms
  // itself twice.
  EXPECT_EQ(a_runs, 3);
  EXPECT_EQ(std::count(fired_.begin(), fired_.end(), 1), 3);
  EXPECT_EQ(fired_.front(), 2);
}

TEST_F(TimerHeapTest, RandomArmsAndCancelsKeepTheHeapOrdered) {
  std::mt19937 rng(5);
  std::deque<TestNode> nodes;
  for (int i = 0; i < 300; ++i) nodes.emplace_back(i, fired_);
  std::vector<uint64_t> due(300, 0);
  std::vector<bool> armed(300, false);
  const uint64_t now = uv_now(&loop_);
  for (int step = 0; step < 3000; ++step) {
    const size_t i = rng() % nodes.size();
    if (rng() % 4 == 0) {
      heap_.cancel(nodes[i]);
      armed[i] = false;
    } else {
      const uint64_t ms = rng() % 60;
      heap_.arm(nodes[i], ms);
      due[i] = now + ms;
      armed[i] = true;
    }
    ASSERT_EQ(nodes[i].armed(), armed[i]);
  }
  const size_t expected = size_t(std::count(armed.begin(), armed.end(), true));
  EXPECT_EQ(heap_.armed_count(), expected);
  uv_run(&loop_, UV_RUN_DEFAULT);
  ASSERT_EQ(fired_.size(), expected);
  for (size_t k = 1; k < fired_.size(); ++k) {
    EXPECT_LE(due[size_t(fired_[k - 1])], due[size_t(fired_[k])]) << k;
  }
}

}  // namespace

namespace {

// close(on_closed, data): the callback runs once the loop has closed the timer, with
// handle->data set to `data` (an owner can free the heap from there).
TEST(TimerHeapClose, RunsTheCallbackWithTheGivenData) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  auto* heap = new TimerHeap;
  heap->init(&loop);
  int closed = 0;
  struct Owner {
    TimerHeap* heap;
    int* closed;
  } owner{heap, &closed};
  heap->close(
      [](uv_handle_t* handle) {
        auto* o = static_cast<Owner*>(handle->data);
        ++*o->closed;
        delete o->heap;
      },
      &owner);
  EXPECT_EQ(closed, 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(closed, 1);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
