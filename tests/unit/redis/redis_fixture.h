// What the redis/ tests share: a loop, client options for a loopback port, and running one
// command to its answer.
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include "redis/client.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_loop.h"

namespace mtedge::redis {

class RedisFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::redis_installed()) GTEST_SKIP() << "redis-server/redis-cli not installed";
  }
  void TearDown() override { EXPECT_EQ(loop_.close(), 0); }

  static ClientOptions options_for(uint16_t port) {
    ClientOptions options;
    options.nodes = {Address{"127.0.0.1", port}};
    options.command_timeout_ms = 10000;
    options.reconnect_min_ms = 20;
    options.reconnect_max_ms = 200;
    return options;
  }

  // Sends one command and runs the loop until it is answered.
  Result<Reply> run(Client& client, Args args, size_t key_index = 1) {
    std::optional<Result<Reply>> answer;
    client.command(
        std::move(args), [&](Result<Reply> result) { answer.emplace(std::move(result)); },
        key_index);
    if (!loop_.run_until([&] { return answer.has_value(); }, 20000)) {
      return Status::error("test: no answer within 20 s");
    }
    return std::move(*answer);
  }

  test::TestLoop loop_;
};

}  // namespace mtedge::redis
