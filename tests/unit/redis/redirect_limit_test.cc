// A cluster node that redirects every command back to itself: the client gives up after
// max_redirects with a clear error, and a redirect to a host name is refused (no redis-server
// needed: a scripted node on a thread).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "redis/client.h"
#include "tests/support/test_loop.h"
#include "tests/unit/redis/scripted_node.h"

namespace mtedge::redis {
namespace {

// Answers CLUSTER SLOTS with every slot on itself and anything else with `MOVED 5 <itself>`.
std::string redirect_to_self(const std::vector<std::string>& words, uint16_t port) {
  const std::string self = std::to_string(port);
  if (!words.empty() && words[0] == "CLUSTER") {
    return "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:" + self + "\r\n";
  }
  return "-MOVED 5 127.0.0.1:" + self + "\r\n";
}

TEST(RedisRedirects, GiveUpAfterMaxRedirects) {
  test::TestLoop loop;
  {
    test::ScriptedNode node(redirect_to_self);
    ClientOptions options;
    options.nodes = {Address{"127.0.0.1", node.port()}};
    options.cluster = true;
    options.max_redirects = 3;
    Client client(loop.get(), options);
    std::optional<Result<Reply>> answer;
    client.command({"GET", "k"}, [&](const Result<Reply>& result) { answer.emplace(result); });
    ASSERT_TRUE(loop.run_until([&] { return answer.has_value(); }, 10000));
    ASSERT_FALSE(answer->is_ok());
    EXPECT_NE(answer->message().find("too many redirects [max_redirects = 3, last = MOVED 5"),
              std::string::npos)
        << answer->message();
    EXPECT_EQ(client.stats().moved, 3u);
    EXPECT_EQ(client.stats().redirect_limit, 1u);
    EXPECT_GE(node.requests(), 5);  // CLUSTER SLOTS, then the GET 4 times
  }
  EXPECT_EQ(loop.close(), 0);
}

// A redirect to a host name fails the command at once: hiredis would resolve the name with a
// blocking call on the loop.
TEST(RedisRedirects, RefuseRedirectToHostName) {
  test::TestLoop loop;
  {
    test::ScriptedNode node([](const std::vector<std::string>& words, uint16_t port) {
      if (!words.empty() && words[0] == "CLUSTER") return redirect_to_self(words, port);
      return std::string("-ASK 5 redis-2.example:7000\r\n");
    });
    ClientOptions options;
    options.nodes = {Address{"127.0.0.1", node.port()}};
    options.cluster = true;
    Client client(loop.get(), options);
    std::optional<Result<Reply>> answer;
    client.command({"GET", "k"}, [&](const Result<Reply>& result) { answer.emplace(result); });
    ASSERT_TRUE(loop.run_until([&] { return answer.has_value(); }, 10000));
    ASSERT_FALSE(answer->is_ok());
    EXPECT_NE(answer->message().find("redis: redirect to a host name refused (numeric addresses "
                                     "only) [ASK 5 redis-2.example:7000]"),
              std::string::npos)
        << answer->message();
    EXPECT_EQ(client.stats().ask, 0u);
  }
  EXPECT_EQ(loop.close(), 0);
}

}  // namespace
}  // namespace mtedge::redis
