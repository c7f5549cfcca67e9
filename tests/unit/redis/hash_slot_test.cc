#include "redis/hash_slot.h"

#include <gtest/gtest.h>

namespace mtedge::redis {
namespace {

TEST(HashSlot, Crc16MatchesTheXmodemCheckValue) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);
  EXPECT_EQ(crc16(""), 0);
}

TEST(HashSlot, KnownSlots) {
  // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
  EXPECT_EQ(key_hash_slot("foo"), 12182);
  EXPECT_EQ(key_hash_slot("bar"), 5061);
  EXPECT_EQ(key_hash_slot("hello"), 866);
  EXPECT_EQ(key_hash_slot(""), 0);
}

TEST(HashSlot, HashTagsKeepKeysTogether) {
  EXPECT_EQ(key_hash_slot("{user1000}.following"), key_hash_slot("{user1000}.followers"));
  EXPECT_EQ(key_hash_slot("{user1000}.following"), key_hash_slot("user1000"));
  EXPECT_EQ(key_hash_slot("{user:42}:pts"), key_hash_slot("{user:42}:dialogs"));
  EXPECT_EQ(key_hash_slot("{key:7}"), key_hash_slot("key:7"));
  EXPECT_NE(key_hash_slot("{user:42}:pts"), key_hash_slot("{user:43}:pts"));
}

TEST(HashSlot, TagRules) {
  EXPECT_EQ(hash_tag("foo{}{bar}"), "foo{}{bar}");  // an empty first tag: the whole key
  EXPECT_EQ(hash_tag("foo{{bar}}zap"), "{bar");     // up to the first '}' after the '{'
  EXPECT_EQ(hash_tag("foo{bar}{zap}"), "bar");      // the first tag only
  EXPECT_EQ(hash_tag("foo{bar"), "foo{bar");        // no closing brace
  EXPECT_EQ(hash_tag("plain"), "plain");
}

TEST(HashSlot, EverySlotIsBelowTheCount) {
  for (int i = 0; i < 5000; ++i)
    EXPECT_LT(key_hash_slot(std::string("key:").append(std::to_string(i))), kSlotCount);
}

}  // namespace
}  // namespace mtedge::redis
