// [backend.socket] parsing: defaults, every key, and errors that name the key's path.
#include "backend-adapters/socket/config.h"

#include <gtest/gtest.h>

#include <string>

namespace mtedge::backend::socket {
namespace {

Result<SocketConfig> parse(const std::string& text) {
  toml::table table = toml::parse(text);
  return parse_config(table, "backend.socket");
}

std::string error_of(const std::string& text) {
  auto config = parse(text);
  EXPECT_FALSE(config) << text;
  return config ? std::string() : config.message();
}

TEST(SocketConfig, Defaults) {
  auto config = parse(R"(endpoints = ["127.0.0.1:9500"])");
  ASSERT_TRUE(config) << config.message();
  ASSERT_EQ(config->endpoints.size(), 1u);
  EXPECT_EQ(config->endpoints[0].name, "127.0.0.1:9500");
  EXPECT_FALSE(config->endpoints[0].is_unix);
  EXPECT_TRUE(config->on_backend_down.close);
  EXPECT_EQ(config->credit_window, 256u);
  EXPECT_EQ(config->max_held_credit_per_client, 0u);
}

TEST(SocketConfig, EveryKey) {
  auto config = parse(R"(
endpoints = ["127.0.0.1:9500", "[::1]:9501", "/run/mtedge/b.sock", "unix:/tmp/c.sock"]
gateway_id = "edge-1"
connect_timeout_ms = 1500
reconnect_min_ms = 50
reconnect_max_ms = 8000
credit_window = 64
max_held_credit_per_client = 16
max_queued_bytes = 1048576
max_message_bytes = 65536
message_deadline_ms = 2500
write_deadline_ms = 7000
on_backend_down = -429
handshake_load_factor = 1.5
)");
  ASSERT_TRUE(config) << config.message();
  ASSERT_EQ(config->endpoints.size(), 4u);
  EXPECT_TRUE(config->endpoints[2].is_unix);
  EXPECT_EQ(config->endpoints[2].path, "/run/mtedge/b.sock");
  EXPECT_EQ(config->endpoints[3].path, "/tmp/c.sock");
  EXPECT_EQ(config->endpoints[3].name, "unix:/tmp/c.sock");
  EXPECT_EQ(config->gateway_id, "edge-1");
  EXPECT_EQ(config->connect_timeout_ms, 1500u);
  EXPECT_EQ(config->reconnect_min_ms, 50u);
  EXPECT_EQ(config->reconnect_max_ms, 8000u);
  EXPECT_EQ(config->credit_window, 64u);
  EXPECT_EQ(config->max_held_credit_per_client, 16u);
  EXPECT_EQ(config->max_queued_bytes, 1048576u);
  EXPECT_EQ(config->max_message_bytes, 65536u);
  EXPECT_EQ(config->message_deadline_ms, 2500u);
  EXPECT_EQ(config->write_deadline_ms, 7000u);
  EXPECT_FALSE(config->on_backend_down.close);
  EXPECT_EQ(config->on_backend_down.error_code, -429);
  EXPECT_DOUBLE_EQ(config->handshake_load_factor, 1.5);
}

TEST(SocketConfig, ErrorsNameTheKey) {
  EXPECT_EQ(error_of(""),
            "backend.socket.endpoints: missing (a list of \"host:port\" or Unix socket paths)");
  EXPECT_NE(error_of("endpoints = []").find("backend.socket.endpoints:"), std::string::npos);
  EXPECT_NE(
      error_of(R"(endpoints = ["127.0.0.1:9500", "nope"])").find("backend.socket.endpoints[1]:"),
      std::string::npos);
  EXPECT_NE(error_of(R"(endpoints = ["127.0.0.1:9500", "127.0.0.1:9500"])").find("duplicate"),
            std::string::npos);
  EXPECT_NE(error_of(R"(endpoints = ["unix:relative.sock"])").find("absolute"), std::string::npos);
  EXPECT_NE(error_of(R"(endpoints = ["127.0.0.1:0"])").find("endpoints[0]"), std::string::npos);
  EXPECT_NE(error_of("endpoints = [\"127.0.0.1:1\"]\nbogus = 1")
                .find("backend.socket.bogus: unknown key"),
            std::string::npos);
  EXPECT_NE(error_of("endpoints = [\"127.0.0.1:1\"]\ncredit_window = 0")
                .find("backend.socket.credit_window"),
            std::string::npos);
  EXPECT_NE(
      error_of("endpoints = [\"127.0.0.1:1\"]\nreconnect_min_ms = 9000\nreconnect_max_ms = 100")
          .find("backend.socket.reconnect_min_ms"),
      std::string::npos);
  EXPECT_NE(error_of("endpoints = [\"127.0.0.1:1\"]\nhandshake_load_factor = 0.5")
                .find("backend.socket.handshake_load_factor"),
            std::string::npos);
}

// An unknown key or a wrong type anywhere in the block names the full key path.
TEST(SocketConfig, WrongTypesNameTheFullPath) {
  const std::pair<const char*, const char*> cases[] = {
      {"endpoints = \"127.0.0.1:1\"",
       "backend.socket.endpoints: expected a non-empty list of \"host:port\" or Unix socket paths"},
      {"endpoints = [\"127.0.0.1:1\", 9500]", "backend.socket.endpoints[1]: expected a string"},
      {"endpoints = [\"127.0.0.1:1\"]\ngateway_id = 1",
       "backend.socket.gateway_id: expected a string"},
      {"endpoints = [\"127.0.0.1:1\"]\ncredit_window = \"many\"",
       "backend.socket.credit_window: expected an integer"},
      {"endpoints = [\"127.0.0.1:1\"]\ncredit_window = 0",
       "backend.socket.credit_window: must be between 1 and 1048576 [value = 0]"},
      {"endpoints = [\"127.0.0.1:1\"]\ncredit_window = 8\nmax_held_credit_per_client = 9",
       "backend.socket.max_held_credit_per_client: 9 is above credit_window (8)"},
      {"endpoints = [\"127.0.0.1:1\"]\nhandshake_load_factor = \"1.5\"",
       "backend.socket.handshake_load_factor: expected a number"},
      {"endpoints = [\"127.0.0.1:1\"]\non_backend_down = true",
       "backend.socket.on_backend_down: expected \"close\" or a transport error code (-429 or "
       "-444)"},
      {"endpoints = [\"127.0.0.1:1\"]\n[extra]\nx = 1", "backend.socket.extra: unknown key"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(error_of(text), message) << text;
}

TEST(SocketConfig, IntegerLoadFactorIsANumber) {
  auto config = parse("endpoints = [\"127.0.0.1:1\"]\nhandshake_load_factor = 2");
  ASSERT_TRUE(config) << config.message();
  EXPECT_DOUBLE_EQ(config->handshake_load_factor, 2.0);
}

TEST(SocketConfig, CatalogHasEveryKeyWithItsDefault) {
  const config::KeyCatalog catalog = config_keys("backend.socket");
  ASSERT_EQ(catalog.keys().size(), 13u);
  const std::pair<const char*, const char*> expected[] = {
      {"endpoints", ""},  // required
      {"on_backend_down", "\"close\""},
      {"handshake_load_factor", "1.25"},
      {"max_queued_bytes", "4194304"},
      {"max_held_credit_per_client", "0"},
      {"write_deadline_ms", "10000"},
  };
  for (const auto& [key, value] : expected) {
    const config::KeySpec* spec = catalog.find(std::string("backend.socket.") + key);
    ASSERT_NE(spec, nullptr) << key;
    EXPECT_EQ(spec->default_toml, value) << key;
  }
}

TEST(SocketConfig, DownOutcome) {
  auto close = parse("endpoints = [\"127.0.0.1:1\"]\non_backend_down = \"close\"");
  ASSERT_TRUE(close);
  EXPECT_TRUE(close->on_backend_down.close);
  auto flood = parse("endpoints = [\"127.0.0.1:1\"]\non_backend_down = -444");
  ASSERT_TRUE(flood);
  EXPECT_EQ(flood->on_backend_down.error_code, -444);
  // -404 would make clients drop their auth key: refused.
  EXPECT_NE(error_of("endpoints = [\"127.0.0.1:1\"]\non_backend_down = -404").find("-404"),
            std::string::npos);
  EXPECT_NE(error_of("endpoints = [\"127.0.0.1:1\"]\non_backend_down = -1")
                .find("backend.socket.on_backend_down"),
            std::string::npos);
  EXPECT_NE(error_of("endpoints = [\"127.0.0.1:1\"]\non_backend_down = \"drop\"")
                .find("backend.socket.on_backend_down"),
            std::string::npos);
}

}  // namespace
}  // namespace mtedge::backend::socket
