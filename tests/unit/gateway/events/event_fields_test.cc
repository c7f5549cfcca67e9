// The events stream's entries: every field of each event type, fields left out when unknown,
// and the XADD around them (docs/events.md is the consumers' contract).
#include "gateway/events/event_fields.h"

#include <gtest/gtest.h>

#include <map>

namespace mtedge::gateway::events {
namespace {

std::map<std::string, std::string> as_map(const Fields& fields) {
  std::map<std::string, std::string> out;
  for (const auto& [field, value] : fields) {
    EXPECT_TRUE(out.emplace(field, value).second) << "field " << field << " twice";
  }
  return out;
}

const Origin kOrigin{"edge-1:42", 3};

ConnectionFacts sample_connection() {
  ConnectionFacts conn;
  conn.conn_id = 0x30000000005;
  conn.listener = "public";
  conn.client = "[2001:db8::7]:40001";
  conn.transport = "obfuscated/abridged";
  conn.secret = "friends";
  conn.dc = -2;
  conn.tls = false;
  conn.proxied = true;
  return conn;
}

TEST(EventFields, EveryEntryStartsWithTheSameHeader) {
  for (const Fields& f : {connection_opened(kOrigin, 1700000000123, sample_connection()),
                          connection_closed(kOrigin, 1700000000123, sample_connection(), {}),
                          counters(kOrigin, 1700000000123, MetricsSnapshot{})}) {
    ASSERT_GE(f.size(), 5u);
    EXPECT_EQ(f[0], std::make_pair(std::string("v"), std::string("1")));
    EXPECT_EQ(f[1].first, "type");
    EXPECT_EQ(f[2], std::make_pair(std::string("gateway"), std::string("edge-1:42")));
    EXPECT_EQ(f[3], std::make_pair(std::string("worker"), std::string("3")));
    EXPECT_EQ(f[4], std::make_pair(std::string("ts_ms"), std::string("1700000000123")));
  }
}

TEST(EventFields, ConnectionOpened) {
  const auto f = as_map(connection_opened(kOrigin, 5, sample_connection()));
  const std::map<std::string, std::string> expected = {
      {"v", "1"},
      {"type", "connection_opened"},
      {"gateway", "edge-1:42"},
      {"worker", "3"},
      {"ts_ms", "5"},
      {"conn", std::to_string(0x30000000005)},
      {"listener", "public"},
      {"client", "[2001:db8::7]:40001"},
      {"proxied", "1"},
      {"tls", "0"},
      {"transport", "obfuscated/abridged"},
      {"secret", "friends"},
      {"dc", "-2"},
  };
  EXPECT_EQ(f, expected);
}

TEST(EventFields, UnknownValuesAreLeftOut) {
  ConnectionFacts conn;
  conn.conn_id = 9;
  conn.listener = "l";
  conn.client = "127.0.0.1:5";
  conn.tls = true;
  const auto f = as_map(connection_opened(kOrigin, 5, conn));
  EXPECT_EQ(f.count("transport"), 0u);
  EXPECT_EQ(f.count("secret"), 0u);
  EXPECT_EQ(f.count("dc"), 0u);
  EXPECT_EQ(f.at("tls"), "1");
  EXPECT_EQ(f.at("proxied"), "0");
}

TEST(EventFields, ConnectionClosed) {
  ConnectionFacts conn = sample_connection();
  conn.dc.reset();  // the close does not know it
  const auto f = as_map(connection_closed(kOrigin, 5, conn, {1234, 56789, 3000, "timeout", true}));
  EXPECT_EQ(f.at("type"), "connection_closed");
  EXPECT_EQ(f.at("conn"), std::to_string(0x30000000005));
  EXPECT_EQ(f.at("client"), "[2001:db8::7]:40001");
  EXPECT_EQ(f.at("transport"), "obfuscated/abridged");
  EXPECT_EQ(f.at("bytes_in"), "1234");
  EXPECT_EQ(f.at("bytes_out"), "56789");
  EXPECT_EQ(f.at("duration_ms"), "3000");
  EXPECT_EQ(f.at("reason"), "timeout");
  EXPECT_EQ(f.at("authenticated"), "1");
  EXPECT_EQ(f.count("dc"), 0u);
  EXPECT_EQ(f.size(), 17u);
}

TEST(EventFields, CountersCarryTheMainCounters) {
  MetricsSnapshot m{.accepted = 10,
                    .rejected_per_source = 2,
                    .evicted_unauthenticated = 3,
                    .active = 4,
                    .frames_in = 7,
                    .frames_out = 8,
                    .bytes_in = 1000,
                    .bytes_out = 2000,
                    .events_written = 30};
  m.closed[static_cast<size_t>(backend::CloseReason::kPeerClosed)] = 5;
  m.closed[static_cast<size_t>(backend::CloseReason::kTimeout)] = 1;
  m.events_dropped[static_cast<size_t>(EventDrop::kBacklog)] = 6;
  const auto f = as_map(counters(kOrigin, 5, m));
  const std::map<std::string, std::string> expected = {
      {"type", "counters"},
      {"accepted", "10"},
      {"active", "4"},
      {"closed", "6"},
      {"closed.peer_closed", "5"},
      {"closed.timeout", "1"},
      {"closed.shutdown", "0"},
      {"rejected.per_source", "2"},
      {"rejected.max_connections", "0"},
      {"rejected.memory", "0"},
      {"rejected.proxy_untrusted", "0"},
      {"evicted.unauthenticated", "3"},
      {"bytes_in", "1000"},
      {"bytes_out", "2000"},
      {"frames_in", "7"},
      {"frames_out", "8"},
      {"events_written", "30"},
      {"events_dropped.backlog", "6"},
      {"events_dropped.failed", "0"},
  };
  for (const auto& [field, value] : expected) {
    ASSERT_EQ(f.count(field), 1u) << field;
    EXPECT_EQ(f.at(field), value) << field;
  }
  for (size_t i = 0; i < backend::kCloseReasonCount; ++i) {
    EXPECT_EQ(f.count(std::string("closed.") +
                      backend::close_reason_name(static_cast<backend::CloseReason>(i))),
              1u);
  }
}

TEST(EventFields, XaddCapsTheStreamAndLetsRedisPickTheId) {
  const Fields fields = {{"v", "1"}, {"type", "counters"}, {"bin", std::string("a\0b", 3)}};
  const redis::Args args = xadd_args("{mtedge}:events", 100000, fields);
  const redis::Args expected = {
      "XADD", "{mtedge}:events",     "MAXLEN", "~", "100000", "*", "v", "1", "type", "counters",
      "bin",  std::string("a\0b", 3)};
  EXPECT_EQ(args, expected);
}

}  // namespace
}  // namespace mtedge::gateway::events
