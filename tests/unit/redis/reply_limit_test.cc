// A Redis node (or anything posing as one) cannot make the client allocate gigabytes with a
// few bytes: an array header over kMaxReplyElements fails that connection's reader, the
// command in flight is answered with an error naming the limit, and the client reconnects.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <optional>
#include <string>
#include <vector>

#include "redis/client.h"
#include "redis/hiredis_reply.h"
#include "tests/support/test_loop.h"
#include "tests/unit/redis/scripted_node.h"

namespace mtedge::redis {
namespace {

// Feeds `wire` to a bounded reader: its first reply (nullptr when incomplete), or the error.
struct ReadResult {
  bool failed = false;
  std::string error;
  bool complete = false;
  long long refused = -1;
};

ReadResult read_bounded(const std::string& wire) {
  redisReader* reader = redisReaderCreate();
  ReplyLimit limit;
  bound_reader(*reader, limit);
  ReadResult result;
  void* raw = nullptr;
  if (redisReaderFeed(reader, wire.data(), wire.size()) != REDIS_OK ||
      redisReaderGetReply(reader, &raw) != REDIS_OK) {
    result.failed = true;
    result.error = reader->errstr;
  }
  result.complete = raw != nullptr;
  if (raw != nullptr) freeReplyObject(raw);
  result.refused = limit.refused_elements;
  redisReaderFree(reader);
  return result;
}

TEST(RedisReplyLimit, HugeArrayHeaderFailsTheReaderWithoutAllocating) {
  const ReadResult result = read_bounded("*244444444\r\n");
  EXPECT_TRUE(result.failed);
  EXPECT_EQ(result.refused, 244444444);
  EXPECT_EQ(describe_refusal(ReplyLimit{244444444}),
            "reply array of 244444444 elements exceeds the limit of 1048576");
}

TEST(RedisReplyLimit, NestedHugeArrayIsRefusedToo) {
  const ReadResult result = read_bounded("*2\r\n:1\r\n*2000000\r\n");
  EXPECT_TRUE(result.failed);
  EXPECT_EQ(result.refused, 2000000);
}

// hiredis 0.14's createArray takes an int: a count over INT_MAX must fail the reader itself
// (its "Multi-bulk length out of range" check) rather than wrap to 1 or 0 elements, which
// would let the rest of the stream be read as if it were that array's.
TEST(RedisReplyLimit, CountsBeyondIntFailTheReader) {
  for (const char* wire : {"*4294967297\r\n", "*4294967296\r\n", "*2147483648\r\n",
                           "*4294967297\r\n:1\r\n", "*2\r\n:1\r\n*4294967296\r\n"}) {
    const ReadResult result = read_bounded(wire);
    EXPECT_TRUE(result.failed) << wire;
    EXPECT_FALSE(result.complete) << wire;
    // Refused before any array was created: nothing was allocated for it.
    EXPECT_EQ(result.refused, -1) << wire;
    EXPECT_NE(result.error.find("Multi-bulk length out of range"), std::string::npos)
        << wire << ": " << result.error;
  }
}

TEST(RedisReplyLimit, NegativeCountOtherThanNilIsRefused) {
  EXPECT_TRUE(read_bounded("*-2\r\n").failed);
  const ReadResult nil = read_bounded("*-1\r\n");
  EXPECT_FALSE(nil.failed);
  EXPECT_TRUE(nil.complete);
}

TEST(RedisReplyLimit, ArraysUpToTheLimitStillParse) {
  const ReadResult small = read_bounded("*3\r\n:1\r\n$1\r\na\r\n*0\r\n");
  EXPECT_FALSE(small.failed) << small.error;
  EXPECT_TRUE(small.complete);
  const ReadResult at_limit =
      read_bounded(std::string("*").append(std::to_string(kMaxReplyElements)).append("\r\n"));
  EXPECT_FALSE(at_limit.failed) << at_limit.error;
  EXPECT_FALSE(at_limit.complete);  // announced, waiting for its elements
  EXPECT_EQ(at_limit.refused, -1);
}

// GET is answered with a 244-million-element header; PING with PONG.
std::string huge_for_get(const std::vector<std::string>& words, uint16_t /*port*/) {
  if (!words.empty() && words[0] == "GET") return "*244444444\r\n";
  return "+PONG\r\n";
}

TEST(RedisReplyLimit, ClientAnswersTheCommandWithTheLimitAndReconnects) {
  test::TestLoop loop;
  {
    test::ScriptedNode node(huge_for_get);
    ClientOptions options;
    options.nodes = {Address{"127.0.0.1", node.port()}};
    Client client(loop.get(), options);
    std::optional<Result<Reply>> get;
    client.command({"GET", "k"}, [&](const Result<Reply>& result) { get.emplace(result); });
    ASSERT_TRUE(loop.run_until([&] { return get.has_value(); }, 10000));
    ASSERT_FALSE(get->is_ok());
    EXPECT_NE(get->message().find("reply array of 244444444 elements exceeds the limit"),
              std::string::npos)
        << get->message();

    std::optional<Result<Reply>> ping;
    client.command({"PING"}, [&](const Result<Reply>& result) { ping.emplace(result); });
    ASSERT_TRUE(loop.run_until([&] { return ping.has_value(); }, 10000));
    ASSERT_TRUE(ping->is_ok()) << ping->message();
    EXPECT_TRUE(ping->value().is_status());
    EXPECT_EQ(node.connections(), 2);
  }
  EXPECT_EQ(loop.close(), 0);
}

}  // namespace
}  // namespace mtedge::redis
