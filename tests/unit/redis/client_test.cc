// redis::Client against a real redis-server on a loopback port.
#include "redis/client.h"

#include <chrono>
#include <memory>

#include "tests/unit/redis/redis_fixture.h"

namespace mtedge::redis {
namespace {

using RedisClient = RedisFixture;

std::string describe(const Result<Reply>& result) {
  if (!result) return result.message();
  return result.value().describe();
}

// A uv timer counting 10 ms ticks (closed, and freed by the loop, when it goes away).
struct Ticker {
  explicit Ticker(uv_loop_t* loop) : timer(new uv_timer_t) {
    uv_timer_init(loop, timer);
    timer->data = &ticks;
    uv_timer_start(
        timer, [](uv_timer_t* t) { ++*static_cast<int*>(t->data); }, 10, 10);
  }
  ~Ticker() {
    uv_close(reinterpret_cast<uv_handle_t*>(timer),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
  uv_timer_t* timer;
  int ticks = 0;
};

bool has(const Result<Reply>& result, const std::string& text) {
  return !result && result.message().find(text) != std::string::npos;
}

TEST_F(RedisClient, RoundTrips) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  Client client(loop_.get(), options_for(server.port()));
  auto set = run(client, {"SET", "greeting", "hello"});
  ASSERT_TRUE(set) << set.message();
  EXPECT_TRUE(set->is_status());
  EXPECT_EQ(set->str(), "OK");
  EXPECT_EQ(run(client, {"GET", "greeting"})->str(), "hello");
  EXPECT_TRUE(run(client, {"GET", "missing"})->is_nil());
  for (int64_t i = 1; i <= 3; ++i) EXPECT_EQ(run(client, {"INCR", "counter"})->as_integer(), i);
  const std::string binary("a\0b\r\n", 5);
  ASSERT_TRUE(run(client, {"SET", binary, binary}));
  EXPECT_EQ(run(client, {"GET", binary})->str(), binary);
  auto wrong = run(client, {"INCR", "greeting"});
  ASSERT_TRUE(wrong);  // a server error is a reply, not a failed Result
  EXPECT_TRUE(wrong->is_error());
  EXPECT_TRUE(client.ready());
  EXPECT_EQ(client.stats().handshakes, 1u);
}

TEST_F(RedisClient, PipelinesTenThousandCommandsInOrder) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  Client client(loop_.get(), options_for(server.port()));
  constexpr int kCount = 10000;
  int answered = 0;
  int out_of_order = 0;
  for (int i = 0; i < kCount; ++i) {
    client.command({"RPUSH", "list", std::to_string(i)}, [&, i](const Result<Reply>& result) {
      if (answered != i || !result || result->as_integer() != i + 1) ++out_of_order;
      ++answered;
    });
  }
  EXPECT_EQ(answered, 0);  // never inside command()
  ASSERT_TRUE(loop_.run_until([&] { return answered == kCount; }, 60000)) << answered;
  EXPECT_EQ(out_of_order, 0);
  auto head = run(client, {"LRANGE", "list", "0", "2"});
  ASSERT_TRUE(head && head->is_array());
  ASSERT_EQ(head->elements().size(), 3u);
  EXPECT_EQ(head->elements()[2].str(), "2");
}

TEST_F(RedisClient, AuthRequiredAndWrongPassword) {
  test::RedisServer server({"--requirepass", "s3cret"});
  ASSERT_TRUE(server.start());
  {
    Client anonymous(loop_.get(), options_for(server.port()));
    auto reply = run(anonymous, {"GET", "k"});
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->is_error());
    EXPECT_TRUE(reply->str().starts_with("NOAUTH")) << reply->str();
  }
  {
    ClientOptions options = options_for(server.port());
    options.password = "wrong-password";
    Client wrong(loop_.get(), options);
    auto reply = run(wrong, {"GET", "k"});
    EXPECT_TRUE(has(reply, "handshake refused")) << (reply ? "ok" : reply.message());
    EXPECT_TRUE(has(reply, "WRONGPASS"));
    EXPECT_FALSE(has(reply, "wrong-password"));  // never the secret
    EXPECT_GE(wrong.stats().connect_failures, 1u);
  }
  ClientOptions options = options_for(server.port());
  options.password = "s3cret";
  Client right(loop_.get(), options);
  EXPECT_EQ(run(right, {"SET", "k", "v"})->str(), "OK");
}

TEST_F(RedisClient, AclUserAndSelect) {
  test::RedisServer server({"--user", "alice", "on", ">alicepw", "~*", "&*", "+@all"});
  ASSERT_TRUE(server.start());
  ClientOptions options = options_for(server.port());
  options.user = "alice";
  options.password = "alicepw";
  options.db = 3;
  Client alice(loop_.get(), options);
  EXPECT_EQ(run(alice, {"ACL", "WHOAMI"})->str(), "alice");
  ASSERT_EQ(run(alice, {"SET", "in-db-3", "yes"})->str(), "OK");
  options.db = 0;
  Client db0(loop_.get(), options);
  EXPECT_TRUE(run(db0, {"GET", "in-db-3"})->is_nil());
  EXPECT_EQ(run(db0, {"SELECT", "3"})->str(), "OK");
  EXPECT_EQ(run(db0, {"GET", "in-db-3"})->str(), "yes");
}

TEST_F(RedisClient, ReconnectsAfterARestart) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  Client client(loop_.get(), options_for(server.port()));
  ASSERT_TRUE(run(client, {"PING"}));
  // In flight when the server dies: each fails once.
  server.pause();
  std::vector<int> in_flight(5, 0);
  int lost = 0;
  for (size_t i = 0; i < in_flight.size(); ++i) {
    client.command({"GET", "k"}, [&, i](const Result<Reply>& result) {
      ++in_flight[i];
      lost += has(result, "connection lost");
    });
  }
  loop_.run_for(100);
  server.kill();
  ASSERT_TRUE(loop_.run_until([&] { return lost == 5; }, 10000)) << lost;
  // Queued while it is down, run once it is back, in order.
  std::vector<std::string> answers;
  for (Args args : {Args{"SET", "a", "1"}, Args{"INCR", "a"}, Args{"GET", "a"}}) {
    client.command(std::move(args),
                   [&](const Result<Reply>& result) { answers.push_back(describe(result)); });
  }
  loop_.run_for(300);
  EXPECT_TRUE(answers.empty());
  EXPECT_FALSE(client.ready());
  ASSERT_TRUE(server.start());
  ASSERT_TRUE(loop_.run_until([&] { return answers.size() == 3; }, 10000));
  EXPECT_EQ(answers, (std::vector<std::string>{"OK", "(integer) 2", "\"2\""}));
  loop_.run_for(50);
  for (int count : in_flight) EXPECT_EQ(count, 1);
  EXPECT_EQ(client.stats().handshakes, 2u);
  EXPECT_GE(client.stats().connect_failures, 1u);
  EXPECT_EQ(client.stats().connection_errors, 5u);
}

TEST_F(RedisClient, TimesOutWithoutBlockingTheLoop) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  ClientOptions options = options_for(server.port());
  options.command_timeout_ms = 300;
  Client client(loop_.get(), options);
  ASSERT_TRUE(run(client, {"PING"}));
  Ticker ticker(loop_.get());
  const int& ticks = ticker.ticks;

  server.pause();
  std::vector<int> calls(20, 0);
  int timeouts = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < calls.size(); ++i) {
    client.command({"GET", "k"}, [&, i](const Result<Reply>& result) {
      ++calls[i];
      timeouts += has(result, "timed out");
    });
  }
  ASSERT_TRUE(loop_.run_until([&] { return timeouts == 20; }, 10000)) << timeouts;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
  EXPECT_GE(ticks, 10);  // the loop kept running while Redis was stopped
  server.resume();
  loop_.run_for(300);  // the late replies arrive and are dropped
  for (int count : calls) EXPECT_EQ(count, 1);
  auto pong = run(client, {"PING"});
  ASSERT_TRUE(pong) << pong.message();
  EXPECT_EQ(pong->str(), "PONG");
  EXPECT_EQ(client.stats().timeouts, 20u);
}

TEST_F(RedisClient, BoundedQueueAndCloseAnswerEveryCallback) {
  ClientOptions options = options_for(1);  // nothing listens on port 1
  options.max_queued_commands = 5;
  auto client = std::make_unique<Client>(loop_.get(), options);
  std::vector<int> calls(8, 0);
  int full = 0;
  int closed = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    client->command({"GET", "k"}, [&, i](const Result<Reply>& result) {
      ++calls[i];
      full += has(result, "queue full");
      closed += has(result, "client closed");
    });
  }
  EXPECT_EQ(full, 0);  // refusals come from the loop, not from inside command()
  ASSERT_TRUE(loop_.run_until([&] { return full == 3; }, 5000));
  EXPECT_EQ(closed, 0);
  EXPECT_EQ(client->stats().queue_full, 3u);
  client->close();
  EXPECT_EQ(closed, 5);  // inside close()
  bool after = false;
  client->command({"PING"}, [&](Result<Reply> result) { after = has(result, "client closed"); });
  EXPECT_TRUE(after);
  client.reset();
  loop_.run_for(20);
  for (int count : calls) EXPECT_EQ(count, 1);
}

TEST_F(RedisClient, EmptyCommandIsRefused) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  Client client(loop_.get(), options_for(server.port()));
  EXPECT_TRUE(has(run(client, {}), "empty command"));
  EXPECT_EQ(run(client, {"PING"})->str(), "PONG");  // replies still line up
  Client nowhere(loop_.get(), ClientOptions{});
  EXPECT_TRUE(has(run(nowhere, {"PING"}), "no Redis node configured"));
}

TEST_F(RedisClient, TimeoutNamesTheConnectError) {
  ClientOptions options = options_for(1);
  options.command_timeout_ms = 200;
  Client client(loop_.get(), options);
  auto reply = run(client, {"GET", "k"});
  EXPECT_TRUE(has(reply, "timed out")) << (reply ? "ok" : reply.message());
  EXPECT_TRUE(has(reply, "connect failed"));
  EXPECT_FALSE(client.ready());
}

TEST_F(RedisClient, ACallbackMayDestroyTheClient) {
  test::RedisServer server;
  ASSERT_TRUE(server.start());
  auto client = std::make_unique<Client>(loop_.get(), options_for(server.port()));
  ASSERT_TRUE(run(*client, {"PING"}));
  std::vector<int> calls(10, 0);
  int closed = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    client->command({"INCR", "n"}, [&, i](const Result<Reply>& result) {
      ++calls[i];
      closed += has(result, "client closed") || has(result, "connection");
      if (i == 0) client.reset();  // the rest are answered from inside this callback
    });
  }
  ASSERT_TRUE(loop_.run_until([&] { return calls[9] == 1; }, 10000));
  loop_.run_for(50);
  for (int count : calls) EXPECT_EQ(count, 1);
  EXPECT_EQ(closed, 9);
}

}  // namespace
}  // namespace mtedge::redis
