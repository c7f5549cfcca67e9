// FlushList on a real libuv loop: an item is flushed once per loop iteration however often it
// is listed, in the same iteration when listed from a timer (the loop does not block), items
// removed before their turn are skipped, items listed during a flush wait for the next
// iteration, and the handles close (with or without close()) so the loop can be closed. One
// test drives real OutboundQueues over socket pairs.
#include "io/flush_list.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <vector>

#include "io/outbound_queue.h"
#include "tests/support/socket_pair.h"

namespace mtedge::io {
namespace {

struct Item {
  int id = 0;
  bool listed = false;
  std::vector<int>* log = nullptr;
  std::function<void()> on_flush;
  void flush() {
    log->push_back(id);
    if (on_flush) on_flush();
  }
};

class FlushListTest : public ::testing::Test {
 public:  // the timer test's callback lists items
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    list_.init(&loop_);
    for (int i = 0; i < 4; ++i) items_[i] = Item{i, false, &log_, {}};
  }
  void TearDown() override {
    list_.close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles left open";
  }
  void add(Item& item) { list_.add(&item, item.listed); }

  uv_loop_t loop_;
  FlushList list_{&FlushList::call<Item, &Item::flush>};
  Item items_[4];
  std::vector<int> log_;
};

TEST_F(FlushListTest, FlushesEachListedItemOncePerIteration) {
  add(items_[2]);
  add(items_[0]);
  add(items_[2]);
  EXPECT_TRUE(items_[2].listed);
  EXPECT_EQ(list_.size(), 2u);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(log_, (std::vector<int>{2, 0}));
  EXPECT_FALSE(items_[0].listed);
  EXPECT_FALSE(items_[2].listed);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(log_.size(), 2u) << "nothing listed, nothing flushed";
  // Listed again later: flushed again.
  add(items_[0]);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(log_, (std::vector<int>{2, 0, 0}));
}

TEST_F(FlushListTest, ListedFromATimerFlushesWithoutBlocking) {
  // A far timer keeps the loop alive; without the idle handle poll would sleep until it.
  uv_timer_t far;
  uv_timer_init(&loop_, &far);
  uv_timer_start(
      &far, [](uv_timer_t*) {}, 10000, 0);
  uv_timer_t soon;
  uv_timer_init(&loop_, &soon);
  soon.data = this;
  uv_timer_start(
      &soon,
      [](uv_timer_t* t) {
        auto* self = static_cast<FlushListTest*>(t->data);
        self->add(self->items_[1]);
      },
      0, 0);
  const auto start = std::chrono::steady_clock::now();
  while (log_.empty() && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    uv_run(&loop_, UV_RUN_ONCE);
  }
  EXPECT_EQ(log_, (std::vector<int>{1}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  uv_close(reinterpret_cast<uv_handle_t*>(&far), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&soon), nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);  // the timers live on this stack frame
}

TEST_F(FlushListTest, RemovedItemsAreSkipped) {
  add(items_[0]);
  add(items_[1]);
  list_.remove(&items_[0]);
  EXPECT_FALSE(items_[0].listed);
  list_.remove(&items_[3]);  // never listed: no-op
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(log_, (std::vector<int>{1}));
}

TEST_F(FlushListTest, AFlushMayRemoveItemsStillWaitingInTheSameRun) {
  add(items_[0]);
  add(items_[1]);
  add(items_[2]);
  // Flushing 0 closes 2 (say), which must then not be flushed.
  items_[0].on_flush = [&] { list_.remove(&items_[2]); };
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(log_, (std::vector<int>{0, 1}));
  EXPECT_FALSE(items_[2].listed);
}

TEST_F(FlushListTest, ItemsListedDuringAFlushWaitForTheNextIteration) {
  add(items_[0]);
  items_[0].on_flush = [&] {
    add(items_[0]);  // itself: its flag was cleared before the call
    add(items_[3]);
    items_[0].on_flush = nullptr;
  };
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(log_, (std::vector<int>{0}));
  EXPECT_TRUE(items_[0].listed);
  EXPECT_TRUE(items_[3].listed);
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(log_, (std::vector<int>{0, 0, 3}));
}

TEST_F(FlushListTest, CloseReportsWhenTheHandlesAreClosed) {
  add(items_[0]);
  bool closed = false;
  list_.close([&] { closed = true; });
  EXPECT_FALSE(closed);
  add(items_[1]);  // ignored after close
  EXPECT_FALSE(items_[1].listed);
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_TRUE(closed);
  EXPECT_TRUE(log_.empty());
}

TEST(FlushListLifetime, DestroyedWithoutCloseClosesItsHandles) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  std::vector<int> log;
  Item item{7, false, &log, {}};
  {
    FlushList list(&loop, &FlushList::call<Item, &Item::flush>);
    list.add(&item, item.listed);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(FlushListLifetime, DestroyedWhileClosingDoesNotCallBack) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  bool called = false;
  {
    FlushList list(&loop, &FlushList::call<Item, &Item::flush>);
    list.close([&] { called = true; });
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_FALSE(called);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

// Owners of real queues, as the adapters use them: appends during one iteration leave in one
// flush per stream.
struct Sender {
  uv_pipe_t pipe;
  OutboundQueue queue;
  bool listed = false;
  int flushes = 0;
  explicit Sender(const OutboundEvents& events) : queue(events) {}
  void flush() {
    ++flushes;
    queue.flush(reinterpret_cast<uv_stream_t*>(&pipe));
  }
};

TEST(FlushListWithQueues, AppendsOfOneIterationLeaveInOneFlush) {
  uv_loop_t loop;
  ASSERT_EQ(uv_loop_init(&loop), 0);
  static const OutboundEvents events{
      [](uv_stream_t* s, size_t) { static_cast<Sender*>(s->data)->flush(); },
      [](uv_stream_t*, int status) { ADD_FAILURE() << uv_strerror(status); }};
  FlushList list(&loop, &FlushList::call<Sender, &Sender::flush>);
  std::vector<Sender*> senders;
  std::vector<int> peers;
  for (int i = 0; i < 2; ++i) {
    testing::SocketPair pair = testing::unix_pair();
    auto* s = new Sender(events);
    uv_pipe_init(&loop, &s->pipe, 0);
    ASSERT_EQ(uv_pipe_open(&s->pipe, pair.ours), 0);
    s->pipe.data = s;
    senders.push_back(s);
    peers.push_back(pair.peer);
  }
  Bytes expected[2];
  for (int frame = 0; frame < 50; ++frame) {
    for (int i = 0; i < 2; ++i) {
      const Bytes bytes(100 + frame, uint8_t(frame * 2 + i));
      senders[i]->queue.append(bytes);
      append(expected[i], bytes);
      list.add(senders[i], senders[i]->listed);
    }
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(senders[i]->flushes, 1);
    Bytes received;
    const auto start = std::chrono::steady_clock::now();
    while (received.size() < expected[i].size() &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
      uv_run(&loop, UV_RUN_NOWAIT);
      testing::read_ready(peers[i], received);
    }
    EXPECT_EQ(received, expected[i]);
  }
  list.close();
  for (Sender* s : senders) {
    uv_close(reinterpret_cast<uv_handle_t*>(&s->pipe),
             [](uv_handle_t* h) { delete static_cast<Sender*>(h->data); });
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  for (int fd : peers) close(fd);
}

}  // namespace
}  // namespace mtedge::io
