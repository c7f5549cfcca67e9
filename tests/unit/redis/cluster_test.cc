// redis::Client in cluster mode against a real three-master cluster (one per test suite).
#include <memory>

#include "redis/client.h"
#include "redis/hash_slot.h"
#include "tests/unit/redis/redis_fixture.h"

namespace mtedge::redis {
namespace {

class RedisCluster : public RedisFixture {
 protected:
  static void SetUpTestSuite() {
    if (!test::redis_installed()) return;
    cluster_ = std::make_unique<test::RedisCluster>();
    if (!cluster_->start()) error_ = cluster_->error();
  }
  static void TearDownTestSuite() { cluster_.reset(); }

  void SetUp() override {
    RedisFixture::SetUp();
    if (IsSkipped()) return;
    ASSERT_TRUE(error_.empty()) << error_;
  }

  static ClientOptions cluster_options(std::vector<Address> seeds) {
    ClientOptions options = options_for(0);
    options.nodes = std::move(seeds);
    options.cluster = true;
    return options;
  }
  static Address address(size_t node) { return Address{"127.0.0.1", cluster_->node(node).port()}; }
  // The node that serves `key` (the others answer MOVED).
  static size_t owner(const std::string& key) {
    for (size_t i = 0; i < test::RedisCluster::kMasters; ++i) {
      auto reply = cluster_->node(i).call({"GET", key});
      if (reply && !(reply->is_error() && reply->str().starts_with("MOVED"))) return i;
    }
    return 0;
  }

  static std::unique_ptr<test::RedisCluster> cluster_;
  static std::string error_;
};

std::unique_ptr<test::RedisCluster> RedisCluster::cluster_;
std::string RedisCluster::error_;

TEST_F(RedisCluster, SlotsAgreeWithTheServer) {
  for (const std::string key : {"foo", "{user:42}:pts", "{user1000}.followers", "k"}) {
    auto slot = cluster_->node(0).call({"CLUSTER", "KEYSLOT", key});
    ASSERT_TRUE(slot);
    EXPECT_EQ(slot->as_integer(), key_hash_slot(key)) << key;
  }
}

TEST_F(RedisCluster, SpreadsKeysOverThreeMasters) {
  Client client(loop_.get(), cluster_options({address(0)}));
  constexpr int kKeys = 300;
  int ok = 0;
  for (int i = 0; i < kKeys; ++i) {  // sent before the slot map is loaded: they wait for it
    const std::string key = std::string("{key:").append(std::to_string(i)) + "}";
    client.command({"SET", key, std::string("v").append(std::to_string(i))},
                   [&](Result<Reply> result) { ok += result && result->str() == "OK"; });
  }
  ASSERT_TRUE(loop_.run_until([&] { return ok == kKeys; }, 20000)) << ok;
  for (size_t i = 0; i < test::RedisCluster::kMasters; ++i) {
    auto size = cluster_->node(i).call({"DBSIZE"});
    ASSERT_TRUE(size);
    EXPECT_GT(size->as_integer(), 0) << "node " << i;
  }
  for (int i = 0; i < kKeys; i += 37) {
    EXPECT_EQ(run(client, {"GET", std::string("{key:").append(std::to_string(i)) + "}"})->str(),
              std::string("v").append(std::to_string(i)));
  }
  EXPECT_EQ(client.stats().moved, 0u);
  EXPECT_EQ(client.stats().slot_map_loads, 1u);
  EXPECT_TRUE(client.ready());
}

TEST_F(RedisCluster, FollowsAskThenMovedWhileASlotMigrates) {
  const std::string key = "{user:7}:pts";
  const std::string slot = std::to_string(key_hash_slot(key));
  Client client(loop_.get(), cluster_options({address(1)}));
  ASSERT_EQ(run(client, {"SET", key, "41"})->str(), "OK");
  const size_t from = owner(key);
  const size_t to = (from + 1) % test::RedisCluster::kMasters;
  test::RedisServer& source = cluster_->node(from);
  test::RedisServer& target = cluster_->node(to);
  ASSERT_EQ(target.call({"CLUSTER", "SETSLOT", slot, "IMPORTING", cluster_->id(from)})->str(),
            "OK");
  ASSERT_EQ(source.call({"CLUSTER", "SETSLOT", slot, "MIGRATING", cluster_->id(to)})->str(), "OK");
  auto migrated = source.call(
      {"MIGRATE", "127.0.0.1", std::to_string(target.port()), "", "0", "5000", "KEYS", key});
  ASSERT_TRUE(migrated && migrated->str() == "OK") << migrated->describe();

  // The key left the source while the slot migrates: ASK, then ASKING + GET on the target.
  EXPECT_EQ(run(client, {"GET", key})->str(), "41");
  EXPECT_GE(client.stats().ask, 1u);
  EXPECT_EQ(client.stats().moved, 0u);

  // The slot now belongs to the target: the client's map is stale, MOVED corrects it.
  for (size_t i : {to, from, 3 - to - from}) {
    ASSERT_EQ(cluster_->node(i).call({"CLUSTER", "SETSLOT", slot, "NODE", cluster_->id(to)})->str(),
              "OK");
  }
  EXPECT_EQ(run(client, {"INCR", key})->as_integer(), 42);
  EXPECT_EQ(client.stats().moved, 1u);
  // The background refresh loads the new map: no more redirects.
  ASSERT_TRUE(loop_.run_until([&] { return client.stats().slot_map_loads >= 2; }, 10000));
  EXPECT_EQ(run(client, {"GET", key})->str(), "42");
  EXPECT_EQ(client.stats().moved, 1u);
}

TEST_F(RedisCluster, CrossSlotIsAnErrorAndHashTagsKeepKeysTogether) {
  Client client(loop_.get(), cluster_options({address(2)}));
  auto cross = run(client, {"MSET", "{a}1", "x", "{b}2", "y"});
  ASSERT_TRUE(cross);
  EXPECT_TRUE(cross->is_error());
  EXPECT_TRUE(cross->str().starts_with("CROSSSLOT")) << cross->str();
  ASSERT_EQ(run(client, {"MSET", "{user1000}.following", "a", "{user1000}.followers", "b"})->str(),
            "OK");
  auto both = run(client, {"MGET", "{user1000}.following", "{user1000}.followers"});
  ASSERT_TRUE(both && both->is_array());
  EXPECT_EQ(both->elements()[1].str(), "b");
  // No key: any master answers.
  EXPECT_EQ(run(client, {"PING"}, Client::kNoKey)->str(), "PONG");
}

TEST_F(RedisCluster, ADeadSeedIsSkipped) {
  Client client(loop_.get(), cluster_options({Address{"127.0.0.1", 1}, address(0)}));
  auto reply = run(client, {"SET", "{seed}", "1"});
  ASSERT_TRUE(reply) << reply.message();
  EXPECT_EQ(reply->str(), "OK");
}

}  // namespace
}  // namespace mtedge::redis
