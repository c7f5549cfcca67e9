// OutboundQueue on a real libuv loop, writing to a real socket pair whose far end the test
// reads (or stops reading) itself: bytes arrive whole and in order, the marks fire when the
// peer stalls and drains, errors reach the owner, and a queue may go away with a write in
// flight.
#include "io/outbound_queue.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <memory>
#include <new>
#include <random>
#include <vector>

#include "tests/support/socket_pair.h"

namespace {

// Heap allocations made by this thread (counted by the replaced operator new below).
thread_local size_t allocations = 0;

}  // namespace

// Not inlined, so the compiler does not pair a call site's new with the free() inside.
[[gnu::noinline]] void* operator new(size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace mtedge::io {
namespace {

using mtedge::testing::read_ready;
using mtedge::testing::SocketPair;

Bytes pattern(size_t size, uint32_t seed) {
  Bytes out(size);
  std::minstd_rand rng(seed);
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// What one writer's queue told it; kept by the test, so it outlives the writer.
struct Record {
  size_t taken_at_once = 0;                // flush() return values
  size_t written_later = 0;                // `written` events
  std::vector<size_t> pending_at_written;  // pending().size() when `written` came
  std::vector<int> failures;
  int lows = 0;
  size_t queued_at_low = 0;  // queued() when the last `low` came
  bool closed = false;
};

// The owner of one queue: its stream is a uv_tcp_t or a uv_pipe_t over its end of a socket
// pair; it deletes itself in the stream's close callback, after every write callback.
struct Writer {
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } handle;
  OutboundMarks marks;  // the queue refers to them
  std::unique_ptr<OutboundQueue> queue;
  Record* rec = nullptr;

  static Writer& of(uv_stream_t* stream) { return *static_cast<Writer*>(stream->data); }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle); }
  void flush() { rec->taken_at_once += queue->flush(stream()); }
  void close() {
    uv_close(reinterpret_cast<uv_handle_t*>(&handle), [](uv_handle_t* h) {
      auto* self = static_cast<Writer*>(h->data);
      self->rec->closed = true;
      delete self;
    });
  }
};

const OutboundEvents kEvents{
    [](uv_stream_t* stream, size_t bytes) {
      Writer& w = Writer::of(stream);
      w.rec->written_later += bytes;
      w.rec->pending_at_written.push_back(w.queue->pending().size());
      w.flush();
    },
    [](uv_stream_t* stream, int status) { Writer::of(stream).rec->failures.push_back(status); },
    [](uv_stream_t* stream) {
      Writer& w = Writer::of(stream);
      ++w.rec->lows;
      w.rec->queued_at_low = w.queue->queued();
    }};

class OutboundQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // as the gateway does: a write to a closed peer is EPIPE
    ASSERT_EQ(uv_loop_init(&loop_), 0);
  }

  void TearDown() override {
    for (Writer* w : writers_) w->close();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles left open";
    for (int fd : peers_) ::close(fd);
  }

  // A writer over `pair.ours`; the test keeps `pair.peer`.
  Writer& writer(SocketPair pair, bool tcp, const OutboundMarks& marks = OutboundQueue::kNoMarks) {
    EXPECT_GE(pair.ours, 0);
    auto* w = new Writer;
    if (tcp) {
      uv_tcp_init(&loop_, &w->handle.tcp);
      EXPECT_EQ(uv_tcp_open(&w->handle.tcp, pair.ours), 0);
    } else {
      uv_pipe_init(&loop_, &w->handle.pipe, 0);
      EXPECT_EQ(uv_pipe_open(&w->handle.pipe, pair.ours), 0);
    }
    w->handle.tcp.data = w;
    w->marks = marks;
    w->queue = std::make_unique<OutboundQueue>(kEvents, w->marks);
    w->rec = &records_.emplace_back();
    writers_.push_back(w);
    peers_.push_back(pair.peer);
    return *w;
  }

  // Closes `w` now (TearDown no longer does); returns its record, which outlives it.
  Record& close_writer(Writer& w) {
    std::erase(writers_, &w);
    Record& rec = *w.rec;
    w.close();
    return rec;
  }

  // A template, not std::function: the allocation tests count every heap allocation.
  template <typename Done>
  bool run_until(const Done& done, int timeout_ms = 5000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
    }
    return true;
  }

  void run_for(int ms) {
    run_until([] { return false; }, ms);
  }

  // Appends `chunk`-byte pieces of `data` from `offset` (flushing each) until the queue is
  // above its high mark or the limit would be passed; returns the new offset.
  size_t fill_until_paused(Writer& w, const Bytes& data, size_t offset, size_t chunk) {
    while (offset + chunk <= data.size() && w.queue->fits(chunk)) {
      w.queue->append(ByteView(data).subspan(offset, chunk));
      offset += chunk;
      const bool more = w.queue->note_appended();
      w.flush();
      uv_run(&loop_, UV_RUN_NOWAIT);
      if (!more) break;
    }
    return offset;
  }

  uv_loop_t loop_;
  std::deque<Record> records_;
  std::vector<Writer*> writers_;
  std::vector<int> peers_;
};

class OutboundQueueOrderTest : public OutboundQueueTest,
                               public ::testing::WithParamInterface<bool> {};

TEST_P(OutboundQueueOrderTest, BytesArriveWholeAndInOrder) {
  const bool tcp = GetParam();
  SocketPair pair = tcp ? testing::tcp_pair() : testing::unix_pair(16 * 1024);
  Writer& w = writer(pair, tcp);
  const Bytes data = pattern(4 << 20, 1);
  std::minstd_rand rng(2);
  Bytes received;
  size_t offset = 0;
  int round = 0;
  while (offset < data.size()) {
    // A few appends per "loop iteration", then one flush, as a FlushList does.
    for (int i = 0; i < 4 && offset < data.size(); ++i) {
      const size_t n = std::min<size_t>(data.size() - offset, 1 + rng() % (48 * 1024));
      w.queue->append(ByteView(data).subspan(offset, n));
      offset += n;
    }
    w.flush();
    uv_run(&loop_, UV_RUN_NOWAIT);
    if (++round % 3 == 0) read_ready(pair.peer, received);  // a slow reader
  }
  ASSERT_TRUE(run_until([&] {
    read_ready(pair.peer, received);
    return received.size() >= data.size() && w.queue->empty();
  }));
  EXPECT_EQ(received, data);
  EXPECT_EQ(w.rec->taken_at_once + w.rec->written_later, data.size());
  EXPECT_TRUE(w.rec->failures.empty());
  EXPECT_FALSE(w.queue->writing());
}

INSTANTIATE_TEST_SUITE_P(Streams, OutboundQueueOrderTest, ::testing::Values(true, false),
                         [](const auto& param) { return param.param ? "Tcp" : "Unix"; });

TEST_F(OutboundQueueTest, HighFiresWhenPeerStallsAndLowAfterItDrains) {
  SocketPair pair = testing::unix_pair(4096);
  const OutboundMarks marks{64 * 1024, 16 * 1024, 1 << 20};
  Writer& w = writer(pair, false, marks);
  const Bytes data = pattern(512 * 1024, 3);
  size_t offset = fill_until_paused(w, data, 0, 4096);
  ASSERT_LT(offset, data.size()) << "the peer's buffers never filled";
  EXPECT_FALSE(w.queue->note_appended());
  EXPECT_GT(w.queue->queued(), marks.high);
  EXPECT_TRUE(w.queue->writing());
  // Nothing drains while the peer does not read.
  run_for(50);
  EXPECT_EQ(w.rec->lows, 0);
  EXPECT_FALSE(w.queue->note_appended());

  Bytes received;
  ASSERT_TRUE(run_until([&] {
    read_ready(pair.peer, received);
    return w.rec->lows > 0;
  }));
  EXPECT_LE(w.rec->queued_at_low, marks.low);
  EXPECT_TRUE(w.queue->note_appended());  // below high again
  // The rest of the data, with the reader keeping up: everything arrives, in order.
  while (offset < data.size()) {
    w.queue->append(ByteView(data).subspan(offset, 4096));
    offset += 4096;
    w.queue->note_appended();
    w.flush();
    uv_run(&loop_, UV_RUN_NOWAIT);
    read_ready(pair.peer, received);
  }
  ASSERT_TRUE(run_until([&] {
    read_ready(pair.peer, received);
    return received.size() >= data.size();
  }));
  EXPECT_EQ(received, data);
  EXPECT_TRUE(w.rec->failures.empty());
}

TEST_F(OutboundQueueTest, LimitCountsBytesInFlight) {
  SocketPair pair = testing::unix_pair(4096);
  const OutboundMarks marks{8 * 1024, 1024, 48 * 1024};
  Writer& w = writer(pair, false, marks);
  EXPECT_TRUE(w.queue->fits(marks.limit));
  EXPECT_FALSE(w.queue->fits(marks.limit + 1));
  // Past the high mark, keep appending while the limit allows.
  const Bytes data = pattern(1 << 20, 4);
  size_t offset = 0;
  while (w.queue->fits(4096) && offset < data.size()) {
    w.queue->append(ByteView(data).subspan(offset, 4096));
    offset += 4096;
    w.queue->note_appended();
    w.flush();
    uv_run(&loop_, UV_RUN_NOWAIT);
  }
  ASSERT_LT(offset, data.size());
  EXPECT_TRUE(w.queue->writing());
  EXPECT_GT(w.queue->queued() + 4096, marks.limit);
  EXPECT_LE(w.queue->queued(), marks.limit);
  EXPECT_TRUE(w.queue->fits());
  run_for(30);
  EXPECT_FALSE(w.queue->fits(4096)) << "bytes in flight still count";
}

TEST_F(OutboundQueueTest, WriteErrorAtOnceReachesOwner) {
  SocketPair pair = testing::unix_pair();
  Writer& w = writer(pair, false);
  ::close(pair.peer);
  peers_.pop_back();
  w.queue->append(pattern(1000, 5));
  w.flush();
  ASSERT_EQ(w.rec->failures.size(), 1u);
  EXPECT_EQ(w.rec->failures[0], UV_EPIPE);
  EXPECT_TRUE(w.queue->empty());
  EXPECT_FALSE(w.queue->writing());
  EXPECT_EQ(w.rec->taken_at_once, 0u);
}

TEST_F(OutboundQueueTest, WriteErrorInFlightReachesOwner) {
  SocketPair pair = testing::unix_pair(4096);
  Writer& w = writer(pair, false, OutboundMarks{32 * 1024, 0, SIZE_MAX});
  const Bytes data = pattern(256 * 1024, 6);
  fill_until_paused(w, data, 0, 4096);
  ASSERT_TRUE(w.queue->writing());
  const size_t written_before = w.rec->written_later;
  ::close(pair.peer);  // with unread bytes: the pending write fails
  peers_.pop_back();
  ASSERT_TRUE(run_until([&] { return !w.rec->failures.empty(); }));
  EXPECT_LT(w.rec->failures[0], 0);
  EXPECT_TRUE(w.queue->empty());
  EXPECT_FALSE(w.queue->writing());
  EXPECT_EQ(w.rec->lows, 0) << "a failed queue owes no low";
  run_for(20);
  EXPECT_EQ(w.rec->failures.size(), 1u);
  EXPECT_EQ(w.rec->written_later, written_before);
}

TEST_F(OutboundQueueTest, ClosingTheStreamCancelsTheWriteInFlight) {
  SocketPair pair = testing::unix_pair(4096);
  Writer& w = writer(pair, false, OutboundMarks{32 * 1024, 0, SIZE_MAX});
  fill_until_paused(w, pattern(256 * 1024, 7), 0, 4096);
  ASSERT_TRUE(w.queue->writing());
  // The owner closes its stream; it is deleted in the close callback, after the write's.
  Record& rec = close_writer(w);
  ASSERT_TRUE(run_until([&] { return rec.closed; }));
  ASSERT_EQ(rec.failures.size(), 1u);
  EXPECT_EQ(rec.failures[0], UV_ECANCELED);
}

TEST_F(OutboundQueueTest, DestroyedWithWriteInFlight) {
  SocketPair pair = testing::unix_pair(4096);
  Writer& w = writer(pair, false, OutboundMarks{32 * 1024, 0, SIZE_MAX});
  const Bytes data = pattern(256 * 1024, 8);
  const size_t appended = fill_until_paused(w, data, 0, 4096);
  w.queue->append(ByteView(data).subspan(appended, 4096));  // pending behind the write
  ASSERT_TRUE(w.queue->writing());
  const size_t dropped = w.queue->pending().size();
  ASSERT_GT(dropped, 0u);
  const size_t written_before = w.rec->written_later;
  w.queue.reset();
  // The write in flight still completes on its own; the pending bytes are gone.
  Bytes received;
  ASSERT_TRUE(run_until([&] {
    read_ready(pair.peer, received);
    return received.size() >= appended + 4096 - dropped;
  }));
  run_for(20);
  read_ready(pair.peer, received);
  EXPECT_EQ(received, Bytes(data.begin(), data.begin() + (appended + 4096 - dropped)));
  EXPECT_EQ(w.rec->written_later, written_before) << "no event after the queue is gone";
  EXPECT_TRUE(w.rec->failures.empty());
}

TEST_F(OutboundQueueTest, DestroyedWithWriteInFlightThenStreamClosed) {
  SocketPair pair = testing::unix_pair(4096);
  Writer& w = writer(pair, false, OutboundMarks{32 * 1024, 0, SIZE_MAX});
  fill_until_paused(w, pattern(256 * 1024, 9), 0, 4096);
  ASSERT_TRUE(w.queue->writing());
  w.queue.reset();
  Record& rec = close_writer(w);  // the cancelled write frees what the queue left to it
  ASSERT_TRUE(run_until([&] { return rec.closed; }));
  EXPECT_TRUE(rec.failures.empty());
}

TEST_F(OutboundQueueTest, ResetLetsTheQueueMoveToAnotherStream) {
  SocketPair first = testing::unix_pair(4096);
  Writer& a = writer(first, false, OutboundMarks{32 * 1024, 0, SIZE_MAX});
  fill_until_paused(a, pattern(256 * 1024, 10), 0, 4096);
  ASSERT_TRUE(a.queue->writing());
  a.queue->reset();
  EXPECT_TRUE(a.queue->empty());
  EXPECT_FALSE(a.queue->writing());
  EXPECT_TRUE(a.queue->note_appended());
  // The same queue now writes to another stream (a reconnect): only the new bytes go there.
  SocketPair second = testing::unix_pair();
  Writer& b = writer(second, false);
  std::swap(a.queue, b.queue);
  const Bytes hello = pattern(3000, 11);
  b.queue->append(hello);
  b.flush();
  Bytes received;
  ASSERT_TRUE(run_until([&] {
    read_ready(second.peer, received);
    return received.size() >= hello.size();
  }));
  EXPECT_EQ(received, hello);
  Record& rec = close_writer(a);
  ASSERT_TRUE(run_until([&] { return rec.closed; }));
  EXPECT_TRUE(rec.failures.empty()) << "the abandoned write reports to nobody";
}

TEST_F(OutboundQueueTest, WhatQueuesDuringAWriteLeavesAsOneWrite) {
  SocketPair pair = testing::unix_pair(4096);
  Writer& w = writer(pair, false, OutboundMarks{32 * 1024, 0, SIZE_MAX});
  const Bytes data = pattern(512 * 1024, 12);
  size_t offset = fill_until_paused(w, data, 0, 4096);
  ASSERT_TRUE(w.queue->writing());
  const size_t events_before = w.rec->pending_at_written.size();
  // While the write is in flight, flush() leaves the appended bytes alone.
  size_t behind = w.queue->pending().size();
  for (int i = 0; i < 3; ++i) {
    w.queue->append(ByteView(data).subspan(offset, 1000));
    offset += 1000;
    behind += 1000;
    EXPECT_EQ(w.queue->flush(w.stream()), 0u);
    EXPECT_EQ(w.queue->pending().size(), behind);
  }
  Bytes received;
  ASSERT_TRUE(run_until([&] {
    read_ready(pair.peer, received);
    return w.rec->pending_at_written.size() > events_before;
  }));
  // The write completed with all three appends waiting; its `written` flushed them together.
  EXPECT_EQ(w.rec->pending_at_written[events_before], behind);
  ASSERT_TRUE(run_until([&] {
    read_ready(pair.peer, received);
    return received.size() >= offset;
  }));
  EXPECT_EQ(received, Bytes(data.begin(), data.begin() + offset));
}

TEST_F(OutboundQueueTest, DrainedBuffersStayOnlyInTheKeptBand) {
  SocketPair pair = testing::unix_pair();
  Writer& w = writer(pair, false);
  Bytes received;
  w.queue->append(pattern(100, 13));
  w.flush();
  EXPECT_EQ(w.queue->pending().capacity(), 0u) << "small buffers go back to malloc";
  w.queue->append(pattern(64 * 1024, 14));
  w.flush();
  ASSERT_TRUE(w.queue->empty());
  EXPECT_GE(w.queue->pending().capacity(), 64u * 1024) << "a mid-size buffer is kept";
  w.queue->release_buffers();
  EXPECT_EQ(w.queue->pending().capacity(), 0u);
  read_ready(pair.peer, received);
  EXPECT_EQ(received.size(), 100u + 64 * 1024);
}

TEST_F(OutboundQueueTest, WritesThatCompleteAtOnceAllocateNothing) {
  SocketPair pair = testing::unix_pair();
  Writer& w = writer(pair, false);
  const Bytes frame = pattern(8 * 1024, 15);
  Bytes received;
  received.reserve(1 << 20);
  w.queue->append(frame);  // the first write sizes the buffer the queue then keeps
  w.flush();
  read_ready(pair.peer, received);
  const size_t before = allocations;
  for (int i = 0; i < 100; ++i) {
    w.queue->append(frame);
    w.flush();
    read_ready(pair.peer, received);
  }
  EXPECT_EQ(allocations - before, 0u);
  EXPECT_EQ(w.rec->taken_at_once, 101 * frame.size());
}

TEST_F(OutboundQueueTest, WritesThatStallAllocateOneRequestPerQueue) {
  SocketPair pair = testing::unix_pair(4096);
  Writer& w = writer(pair, false);
  const Bytes frame = pattern(16 * 1024, 16);
  Bytes received;
  received.reserve(8 << 20);
  w.rec->pending_at_written.reserve(1000);  // the test's own record allocates nothing
  // Warm up: a stalled write allocates the request and both buffers.
  for (int i = 0; i < 4; ++i) {
    w.queue->append(frame);
    w.flush();
  }
  ASSERT_TRUE(w.queue->writing());
  ASSERT_TRUE(run_until([&] {
    read_ready(pair.peer, received);
    return w.queue->empty();
  }));
  const size_t before = allocations;
  size_t stalls = 0;
  for (int i = 0; i < 50; ++i) {
    w.queue->append(frame);
    w.flush();
    stalls += w.queue->writing() ? 1 : 0;
    ASSERT_TRUE(run_until([&] {
      read_ready(pair.peer, received);
      return w.queue->empty();
    }));
  }
  EXPECT_GT(stalls, 0u);
  EXPECT_EQ(allocations - before, 0u) << "no allocation per write, stalled or not";
  EXPECT_EQ(received.size(), 54 * frame.size());
}

}  // namespace
}  // namespace mtedge::io
