#include "redis/slot_map.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "redis/hiredis_reply.h"

namespace mtedge::redis {
namespace {

Reply node(std::string host, int64_t port, std::string id = "id") {
  return Reply::array(
      {Reply::string(std::move(host)), Reply::integer(port), Reply::string(std::move(id))});
}

Reply range(int64_t first, int64_t last, Reply master) {
  return Reply::array({Reply::integer(first), Reply::integer(last), std::move(master),
                       node("10.0.0.9", 7009, "replica")});
}

TEST(SlotMap, ParsesClusterSlots) {
  const Reply reply = Reply::array({range(0, 5460, node("127.0.0.1", 7000)),
                                    range(5461, 10922, node("127.0.0.1", 7001)),
                                    range(10923, 16383, node("", 7002))});
  auto map = SlotMap::from_cluster_slots(reply, "10.1.1.1");
  ASSERT_TRUE(map) << map.message();
  EXPECT_EQ(map->covered(), kSlotCount);
  EXPECT_EQ(map->masters().size(), 3u);
  EXPECT_EQ(map->master(0)->text(), "127.0.0.1:7000");
  EXPECT_EQ(map->master(5461)->text(), "127.0.0.1:7001");
  EXPECT_EQ(map->master(16383)->text(), "10.1.1.1:7002");  // empty host: the node asked
  EXPECT_EQ(map->master(key_hash_slot("foo"))->port, 7002);
}

TEST(SlotMap, UncoveredSlotsHaveNoMaster) {
  auto map = SlotMap::from_cluster_slots(Reply::array({range(0, 99, node("10.0.0.1", 1))}), "x");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->covered(), 100u);
  EXPECT_EQ(map->master(100), nullptr);
  map->assign(100, Address{"10.0.0.2", 2});
  EXPECT_EQ(map->master(100)->text(), "10.0.0.2:2");
  EXPECT_EQ(map->masters().size(), 2u);
}

TEST(SlotMap, RefusesMalformedReplies) {
  const std::vector<Reply> bad = {
      Reply::error("ERR This instance has cluster support disabled"),
      Reply::array({Reply::integer(1)}),
      Reply::array({Reply::array({Reply::integer(0), Reply::integer(5)})}),
      Reply::array({range(10, 5, node("10.0.0.1", 1))}),
      Reply::array({range(0, 16384, node("10.0.0.1", 1))}),
      Reply::array({range(-1, 5, node("10.0.0.1", 1))}),
      Reply::array({range(0, 5, node("10.0.0.1", 0))}),
      Reply::array({range(0, 5, node("10.0.0.1", 65536))}),
      Reply::array({range(0, 5, Reply::array({Reply::integer(1), Reply::integer(2)}))}),
      Reply::array({range(0, 5, Reply::string("10.0.0.1:1"))}),
  };
  for (const Reply& reply : bad) {
    EXPECT_FALSE(SlotMap::from_cluster_slots(reply, "x")) << reply.describe();
  }
}

TEST(SlotMap, RefusesMastersNamedByHostName) {
  for (const char* host : {"redis-1", "localhost", "10.0.0.1.example", "10.0.0.1 ", "::1%eth0"}) {
    auto map = SlotMap::from_cluster_slots(Reply::array({range(0, 5, node(host, 7000))}), "x");
    ASSERT_FALSE(map) << host;
    EXPECT_NE(map.message().find("entry 0: master host is not a numeric address"),
              std::string::npos)
        << map.message();
  }
  // An empty host is the node asked, which must be numeric too.
  EXPECT_FALSE(SlotMap::from_cluster_slots(Reply::array({range(0, 5, node("", 7000))}), "name"));
  EXPECT_TRUE(SlotMap::from_cluster_slots(Reply::array({range(0, 5, node("", 7000))}), "::1"));
  EXPECT_TRUE(SlotMap::from_cluster_slots(Reply::array({range(0, 5, node("fe80::1", 7000))}), ""));
}

TEST(SlotMap, RefusesOverlappingRanges) {
  for (const Reply& reply :
       {Reply::array({range(0, 16383, node("10.0.0.1", 1)), range(0, 16383, node("10.0.0.1", 1))}),
        Reply::array({range(0, 100, node("10.0.0.1", 1)), range(100, 200, node("10.0.0.2", 1))}),
        Reply::array({range(50, 60, node("10.0.0.1", 1)), range(0, 16383, node("10.0.0.2", 1))})}) {
    auto map = SlotMap::from_cluster_slots(reply, "x");
    ASSERT_FALSE(map) << reply.describe();
    EXPECT_NE(map.message().find("entry 1: overlapping slot range"), std::string::npos)
        << map.message();
  }
}

TEST(SlotMap, CapsEntriesAtOnePerSlot) {
  // One single-slot entry per slot, each with its own master: the most a map can have.
  std::vector<Reply> entries;
  for (int64_t slot = 0; slot < kSlotCount; ++slot) {
    const std::string host =
        "10.0." + std::to_string(slot / 256) + "." + std::to_string(slot % 256);
    entries.push_back(range(slot, slot, node(host, 7000)));
  }
  auto full = SlotMap::from_cluster_slots(Reply::array(entries), "x");
  ASSERT_TRUE(full) << full.message();
  EXPECT_EQ(full->covered(), kSlotCount);
  EXPECT_EQ(full->masters().size(), kSlotCount);
  EXPECT_EQ(full->master(16383)->text(), "10.0.63.255:7000");
  entries.push_back(range(0, 0, node("10.0.0.1", 7000)));
  auto over = SlotMap::from_cluster_slots(Reply::array(std::move(entries)), "x");
  ASSERT_FALSE(over);
  EXPECT_NE(over.message().find("more than 16384 entries"), std::string::npos) << over.message();
}

TEST(SlotMap, ParsesRedirects) {
  auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->kind, Redirect::Kind::kMoved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->target.text(), "127.0.0.1:6381");
  auto ask = parse_redirect("ASK 0 ::1:7000");
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->kind, Redirect::Kind::kAsk);
  EXPECT_EQ(ask->target.host, "::1");
  EXPECT_EQ(ask->target.port, 7000);
  for (const char* bad : {"MOVED", "MOVED 3999", "MOVED 16384 h:1", "MOVED x h:1", "MOVED 1 h",
                          "MOVED 1 h:0", "MOVED 1 h:65536", "MOVED 1 :5", "ASK -1 h:1",
                          "ERR MOVED 1 h:1", "CROSSSLOT Keys in request don't hash"}) {
    EXPECT_FALSE(parse_redirect(bad)) << bad;
  }
}

TEST(SlotMap, AddressParse) {
  EXPECT_EQ(Address::parse("127.0.0.1:6379")->port, 6379);
  EXPECT_FALSE(Address::parse("127.0.0.1"));
  EXPECT_FALSE(Address::parse("127.0.0.1:"));
  EXPECT_FALSE(Address::parse("h:99999"));
  EXPECT_TRUE(Address::parse("127.0.0.1:6379")->numeric());
  EXPECT_TRUE(Address::parse("::1:6379")->numeric());
  EXPECT_FALSE(Address::parse("redis-1:6379")->numeric());
  EXPECT_FALSE((Address{std::string("10.0.0.1\0x", 10), 1}.numeric()));
}

// copy_reply over hiredis's own parser, the way a connection receives replies.
TEST(Reply, CopiesEveryTypeOutOfHiredis) {
  using namespace std::string_literals;
  const std::string wire = "*6\r\n:42\r\n+OK\r\n-ERR bad\r\n$3\r\na\0b\r\n$-1\r\n*1\r\n*0\r\n"s;
  redisReader* reader = redisReaderCreate();
  ASSERT_EQ(redisReaderFeed(reader, wire.data(), wire.size()), REDIS_OK);
  void* raw = nullptr;
  ASSERT_EQ(redisReaderGetReply(reader, &raw), REDIS_OK);
  ASSERT_NE(raw, nullptr);
  const Reply reply = copy_reply(*static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  redisReaderFree(reader);
  ASSERT_TRUE(reply.is_array());
  ASSERT_EQ(reply.elements().size(), 6u);
  EXPECT_EQ(reply.elements()[0].as_integer(), 42);
  EXPECT_TRUE(reply.elements()[1].is_status());
  EXPECT_EQ(reply.elements()[1].str(), "OK");
  EXPECT_TRUE(reply.elements()[2].is_error());
  EXPECT_EQ(reply.elements()[2].str(), "ERR bad");
  EXPECT_TRUE(reply.elements()[3].is_string());
  EXPECT_EQ(reply.elements()[3].str(), std::string("a\0b", 3));
  EXPECT_TRUE(reply.elements()[4].is_nil());
  ASSERT_TRUE(reply.elements()[5].is_array());
  EXPECT_TRUE(reply.elements()[5].elements()[0].elements().empty());
  EXPECT_EQ(reply.describe(),
            "[(integer) 42, OK, (error) ERR bad, \"" + std::string("a\0b", 3) + "\", nil, [[]]]");
}

}  // namespace
}  // namespace mtedge::redis
