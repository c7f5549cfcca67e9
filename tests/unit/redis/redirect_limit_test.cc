// A cluster node that redirects every command back to itself: the client gives up after
// max_redirects with a clear error (no redis-server needed: a scripted node on a thread).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>

#include "redis/client.h"
#include "tests/support/test_loop.h"

namespace mtedge::redis {
namespace {

// Answers CLUSTER SLOTS with every slot on itself and anything else with `MOVED 5 <itself>`.
class LoopingNode {
 public:
  LoopingNode() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), size);
    ::listen(listener_, 8);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &size);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopingNode() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void serve() {
    int client = -1;
    redisReader* reader = redisReaderCreate();
    while (!stop_) {
      pollfd fd{client >= 0 ? client : listener_, POLLIN, 0};
      if (::poll(&fd, 1, 20) <= 0) continue;
      if (client < 0) {
        client = ::accept(listener_, nullptr, nullptr);
        continue;
      }
      char buffer[4096];
      const ssize_t n = ::read(client, buffer, sizeof buffer);
      if (n <= 0) break;
      redisReaderFeed(reader, buffer, size_t(n));
      void* raw = nullptr;
      while (redisReaderGetReply(reader, &raw) == REDIS_OK && raw != nullptr) {
        auto* request = static_cast<redisReply*>(raw);
        const bool slots =
            request->elements > 0 && std::string(request->element[0]->str) == "CLUSTER";
        freeReplyObject(raw);
        ++requests_;
        const std::string self = std::to_string(port_);
        const std::string answer =
            slots ? "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:" + self + "\r\n"
                  : "-MOVED 5 127.0.0.1:" + self + "\r\n";
        if (::write(client, answer.data(), answer.size()) < 0) break;
      }
    }
    redisReaderFree(reader);
    if (client >= 0) ::close(client);
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

TEST(RedisRedirects, GiveUpAfterMaxRedirects) {
  test::TestLoop loop;
  {
    LoopingNode node;
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

}  // namespace
}  // namespace mtedge::redis
