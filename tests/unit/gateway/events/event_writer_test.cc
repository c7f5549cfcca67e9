// EventWriter against a real redis-server started by the test: events land on the stream,
// the stream stays capped, a dead or paused Redis costs only dropped (and counted) events,
// writing resumes after a restart, error replies and shutdown are counted too.
#include "gateway/events/event_writer.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/support/redis_server.h"
#include "tests/support/test_loop.h"

namespace mtedge::gateway::events {
namespace {

using Entry = std::map<std::string, std::string>;

class EventWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::redis_installed()) GTEST_SKIP() << "redis-server/redis-cli not installed";
    config_.enabled = true;
    config_.stream = "{test}:events";
    config_.gateway_id = "gw-1";
  }
  void TearDown() override {
    writer_.reset();
    EXPECT_EQ(loop_.close(), 0);
  }

  EventWriter& start(uint16_t port) {
    redis::ClientOptions options;
    options.nodes = {redis::Address{"127.0.0.1", port}};
    options.command_timeout_ms = 300;
    options.reconnect_min_ms = 20;
    options.reconnect_max_ms = 100;
    writer_ = std::make_unique<EventWriter>(loop_.get(), config_, options, metrics_, 2);
    return *writer_;
  }

  bool settle() {
    return loop_.run_until([&] { return writer_->pending() == 0; }, 10000);
  }

  uint64_t dropped(EventDrop why) const {
    return metrics_.events_dropped[static_cast<size_t>(why)].get();
  }

  // The stream's entries, oldest first (XRANGE - +), as field maps.
  std::vector<Entry> entries(test::RedisServer& server) {
    std::vector<Entry> out;
    auto reply = server.call({"XRANGE", config_.stream, "-", "+"});
    EXPECT_TRUE(reply) << reply.message();
    if (!reply) return out;
    for (const redis::Reply& entry : reply->elements()) {
      Entry fields;
      const auto& pairs = entry.elements().at(1).elements();
      for (size_t i = 0; i + 1 < pairs.size(); i += 2) fields[pairs[i].str()] = pairs[i + 1].str();
      out.push_back(std::move(fields));
    }
    return out;
  }

  // `entry` has every field of `want` with its value.
  static void expect_fields(const Entry& entry, const Entry& want) {
    for (const auto& [field, value] : want) {
      auto it = entry.find(field);
      EXPECT_TRUE(it != entry.end() && it->second == value) << field << " should be " << value;
    }
  }

  static ConnectionFacts connection(uint64_t id) {
    ConnectionFacts conn;
    conn.conn_id = id;
    conn.listener = "main";
    conn.client = "192.0.2.1:5000";
    conn.transport = "intermediate";
    return conn;
  }

  test::TestLoop loop_;
  EventsConfig config_;
  MetricsShard metrics_;
  std::unique_ptr<EventWriter> writer_;
};

TEST_F(EventWriterTest, WritesConnectionEventsToTheStream) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  EventWriter& writer = start(server.port());
  writer.connection_opened(connection(7));
  writer.connection_closed(connection(7), {10, 20, 30, "peer_closed", false});
  EXPECT_EQ(writer.pending(), 2u);
  ASSERT_TRUE(settle());
  EXPECT_EQ(metrics_.events_written.get(), 2u);
  const auto got = entries(server);
  ASSERT_EQ(got.size(), 2u);
  expect_fields(got[0], {{"type", "connection_opened"},
                         {"v", "1"},
                         {"gateway", "gw-1"},
                         {"worker", "2"},
                         {"conn", "7"}});
  expect_fields(got[1],
                {{"type", "connection_closed"}, {"bytes_out", "20"}, {"reason", "peer_closed"}});
}

TEST_F(EventWriterTest, WritesOnlyTheListedEvents) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  config_.connection_opened = false;
  EventWriter& writer = start(server.port());
  writer.connection_opened(connection(1));
  writer.connection_closed(connection(1), {0, 0, 0, "timeout", false});
  ASSERT_TRUE(settle());
  const auto got = entries(server);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("type"), "connection_closed");
}

TEST_F(EventWriterTest, TheStreamStaysCapped) {
  // Nodes of 10 entries, so MAXLEN ~ trims close to maxlen.
  test::RedisServer server({"--stream-node-max-entries", "10"});
  ASSERT_TRUE(server.start());
  config_.maxlen = 50;
  EventWriter& writer = start(server.port());
  for (uint64_t i = 0; i < 1000; ++i) writer.connection_opened(connection(i));
  ASSERT_TRUE(settle());
  EXPECT_EQ(metrics_.events_written.get(), 1000u);
  auto length = server.call({"XLEN", config_.stream});
  ASSERT_TRUE(length) << length.message();
  EXPECT_GE(length->as_integer(), 50);
  EXPECT_LE(length->as_integer(), 60);
  EXPECT_EQ(entries(server).back().at("conn"), "999");  // the newest are kept
}

TEST_F(EventWriterTest, CountersEveryInterval) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  config_.counters_interval_ms = 100;
  EventWriter& writer = start(server.port());
  int snapshots = 0;
  writer.start_counters([&] {
    MetricsSnapshot m;
    m.accepted = static_cast<uint64_t>(++snapshots);
    return m;
  });
  ASSERT_TRUE(loop_.run_until([&] { return metrics_.events_written.get() >= 3; }, 5000));
  const auto got = entries(server);
  ASSERT_GE(got.size(), 3u);
  expect_fields(got[0], {{"type", "counters"}, {"accepted", "1"}});
  expect_fields(got[2], {{"type", "counters"}, {"accepted", "3"}});
}

TEST_F(EventWriterTest, PastTheBacklogEventsAreDroppedAtOnce) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  server.pause();  // the socket stays open, nothing is answered
  config_.max_pending_events = 5;
  EventWriter& writer = start(server.port());
  for (uint64_t i = 0; i < 20; ++i) writer.connection_opened(connection(i));
  EXPECT_EQ(writer.pending(), 5u);
  EXPECT_EQ(dropped(EventDrop::kBacklog), 15u);
  ASSERT_TRUE(settle());  // the five time out
  EXPECT_EQ(dropped(EventDrop::kFailed), 5u);
  EXPECT_EQ(metrics_.events_written.get(), 0u);
  server.resume();
}

TEST_F(EventWriterTest, ResumesAfterRedisRestarts) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  EventWriter& writer = start(server.port());
  writer.connection_opened(connection(1));
  ASSERT_TRUE(settle());
  EXPECT_EQ(metrics_.events_written.get(), 1u);

  server.kill();
  for (uint64_t i = 2; i <= 4; ++i) writer.connection_opened(connection(i));
  ASSERT_TRUE(settle());
  EXPECT_EQ(dropped(EventDrop::kFailed), 3u);

  ASSERT_TRUE(server.start());  // same port, empty (no persistence)
  ASSERT_TRUE(loop_.run_until(
      [&] {
        if (writer.pending() == 0) writer.connection_opened(connection(5));
        return metrics_.events_written.get() >= 2;
      },
      10000));
  ASSERT_TRUE(settle());
  const auto got = entries(server);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back().at("conn"), "5");
}

TEST_F(EventWriterTest, AnErrorReplyIsCountedAsRefused) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  ASSERT_TRUE(server.call({"SET", config_.stream, "not a stream"}));
  EventWriter& writer = start(server.port());
  writer.connection_opened(connection(1));
  ASSERT_TRUE(settle());
  EXPECT_EQ(dropped(EventDrop::kRefused), 1u);
  EXPECT_EQ(metrics_.events_written.get(), 0u);
}

TEST_F(EventWriterTest, DrainWaitsForPendingEventsThenCloseDropsTheRest) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  EventWriter& writer = start(server.port());
  writer.connection_opened(connection(1));
  bool drained = false;
  writer.when_drained(5000, [&] { drained = true; });
  EXPECT_FALSE(drained);  // never inside the call
  // Written after the call (a worker's last close comes just after it asks): waited for too.
  writer.connection_closed(connection(1), {0, 0, 0, "shutdown", false});
  ASSERT_TRUE(loop_.run_until([&] { return drained; }, 5000));
  EXPECT_EQ(metrics_.events_written.get(), 2u);

  server.pause();
  writer.connection_opened(connection(2));
  drained = false;
  writer.when_drained(50, [&] { drained = true; });  // the deadline comes first
  ASSERT_TRUE(loop_.run_until([&] { return drained; }, 5000));
  EXPECT_EQ(writer.pending(), 1u);
  writer.close();
  EXPECT_EQ(writer.pending(), 0u);
  EXPECT_EQ(dropped(EventDrop::kShutdown), 1u);
  writer.connection_opened(connection(3));  // after close: nothing, not even a count
  EXPECT_EQ(writer.pending(), 0u);
  server.resume();
}

}  // namespace
}  // namespace mtedge::gateway::events
