// [backend.embedded] parsing: defaults, every key, errors naming the key path.
#include "backend-adapters/embedded/config.h"

#include <gtest/gtest.h>

#include "backend-adapters/embedded/embedded.h"

namespace mtedge::backend::embedded {
namespace {

Result<EmbeddedConfig> parse(std::string_view text) {
  return parse_config(toml::parse(text), "backend.embedded");
}

TEST(EmbeddedConfig, Defaults) {
  auto config = parse("");
  ASSERT_TRUE(config.is_ok());
  EXPECT_EQ(config->this_dc, 2);
  EXPECT_EQ(config->max_queued_messages, 256u);
  EXPECT_EQ(config->salt_rotation_s, 1800u);
  EXPECT_EQ(config->online_expiry_s, 300u);
  EXPECT_EQ(config->messages_per_second, 30u);
  EXPECT_EQ(config->message_burst, 300u);
}

TEST(EmbeddedConfig, EveryKey) {
  auto config = parse(R"(
this_dc = 4
advertised_ip = "::1"
advertised_port = 8443
test_mode = true
dev_login_code = "12345"
max_sessions = 1000
max_auth_keys = 2000
max_queued_messages = 10
max_stored_results = 20
max_remembered_msg_ids = 64
max_inflate_bytes = 65536
session_idle_expiry_s = 60
salt_rotation_s = 120
online_expiry_s = 60
messages_per_second = 5
message_burst = 7
)");
  ASSERT_TRUE(config.is_ok()) << config.message();
  EXPECT_EQ(config->this_dc, 4);
  EXPECT_EQ(config->advertised_ip, "::1");
  EXPECT_TRUE(config->advertised_ipv6);
  EXPECT_EQ(config->advertised_port, 8443);
  EXPECT_TRUE(config->test_mode);
  EXPECT_EQ(config->dev_login_code, "12345");
  EXPECT_EQ(config->max_sessions, 1000u);
  EXPECT_EQ(config->max_auth_keys, 2000u);
  EXPECT_EQ(config->max_queued_messages, 10u);
  EXPECT_EQ(config->max_stored_results, 20u);
  EXPECT_EQ(config->max_remembered_msg_ids, 64u);
  EXPECT_EQ(config->max_inflate_bytes, 65536u);
  EXPECT_EQ(config->session_idle_expiry_s, 60u);
  EXPECT_EQ(config->salt_rotation_s, 120u);
  EXPECT_EQ(config->online_expiry_s, 60u);
  EXPECT_EQ(config->messages_per_second, 5u);
  EXPECT_EQ(config->message_burst, 7u);
}

TEST(EmbeddedConfig, ErrorsNameTheKey) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"bogus = 1", "backend.embedded.bogus: unknown key"},
      {"advertised_port = 0",
       "backend.embedded.advertised_port: must be between 1 and 65535 [value = 0]"},
      {"advertised_ip = \"example.com\"",
       "backend.embedded.advertised_ip: \"example.com\" is not an IPv4 or IPv6 literal"},
      {"advertised_ip = 5", "backend.embedded.advertised_ip: expected a string"},
      {"max_sessions = \"many\"", "backend.embedded.max_sessions: expected an integer"},
      {"max_queued_messages = 0",
       "backend.embedded.max_queued_messages: must be between 1 and 100000 [value = 0]"},
      {"salt_rotation_s = 10",
       "backend.embedded.salt_rotation_s: must be between 60 and 604800 [value = 10]"},
      {"test_mode = 1", "backend.embedded.test_mode: expected true or false"},
      {"max_sessions_per_key = 0",
       "backend.embedded.max_sessions_per_key: must be between 1 and 100000 [value = 0]"},
      {"max_packet_nodes = 10",
       "backend.embedded.max_packet_nodes: must be between 1024 and 16777216 [value = 10]"},
      {"this_dc = 2.0", "backend.embedded.this_dc: expected an integer"},
      {"dev_login_code = \"1234\"",
       "backend.embedded.dev_login_code: \"1234\" is not \"\" or 5 to 8 digits"},
      {"dev_login_code = \"12a45\"",
       "backend.embedded.dev_login_code: \"12a45\" is not \"\" or 5 to 8 digits"},
  };
  for (const auto& tc : cases) {
    auto config = parse(tc.text);
    ASSERT_FALSE(config.is_ok()) << tc.text;
    EXPECT_EQ(config.message(), tc.message);
  }
}

// The catalog lists every key with the default the reader applies.
TEST(EmbeddedConfig, CatalogHasEveryKeyWithItsDefault) {
  config::KeyCatalog catalog = config_keys("backend.embedded");
  EXPECT_EQ(catalog.keys().size(), 21u);
  ASSERT_NE(catalog.find("backend.embedded.online_expiry_s"), nullptr);
  EXPECT_EQ(catalog.find("backend.embedded.online_expiry_s")->default_toml, "300");
  ASSERT_NE(catalog.find("backend.embedded.message_burst"), nullptr);
  EXPECT_EQ(catalog.find("backend.embedded.message_burst")->default_toml, "300");
  EXPECT_EQ(catalog.find("backend.embedded.state_file")->default_toml, "\"\"");
  EXPECT_EQ(catalog.find("backend.embedded.group_commit")->default_toml, "true");
  EXPECT_EQ(catalog.find("backend.embedded.compact_after_bytes")->default_toml, "67108864");
  ASSERT_NE(catalog.find("backend.embedded.dev_login_code"), nullptr);
  EXPECT_EQ(catalog.find("backend.embedded.dev_login_code")->default_toml, "\"\"");
  ASSERT_NE(catalog.find("backend.embedded.advertised_port"), nullptr);
  EXPECT_EQ(catalog.find("backend.embedded.advertised_port")->default_toml, "443");
  EXPECT_EQ(catalog.find("backend.embedded.advertised_port")->max, 65535);
  EXPECT_EQ(catalog.find("backend.embedded.advertised_ip")->default_toml, "\"127.0.0.1\"");
  EXPECT_EQ(catalog.find("backend.embedded.test_mode")->default_toml, "false");
  ASSERT_NE(catalog.find("backend.embedded.max_sessions_per_key"), nullptr);
  EXPECT_EQ(catalog.find("backend.embedded.max_sessions_per_key")->default_toml, "32");
  ASSERT_NE(catalog.find("backend.embedded.max_packet_nodes"), nullptr);
  EXPECT_EQ(catalog.find("backend.embedded.max_packet_nodes")->default_toml, "65536");
}

TEST(EmbeddedConfig, FactoryRegistersAndValidates) {
  AdapterRegistry registry;
  register_adapter(registry);
  auto factory = registry.make("embedded");
  ASSERT_NE(factory, nullptr);
  EXPECT_FALSE(factory->configure(toml::parse("nope = 1"), "backend.embedded").is_ok());
  EXPECT_TRUE(factory->configure(toml::parse("this_dc = 1"), "backend.embedded").is_ok());
}

TEST(EmbeddedConfig, StateKeysAreValidated) {
  auto parsed = parse_config(
      toml::parse("state_file = \"var/s.log\"\ngroup_commit = false\ncompact_after_bytes = 0"),
      "backend.embedded");
  ASSERT_TRUE(parsed.is_ok()) << parsed.message();
  EXPECT_EQ(parsed.value().state_file, "var/s.log");
  EXPECT_FALSE(parsed.value().group_commit);
  EXPECT_EQ(parsed.value().compact_after_bytes, 0u);
  auto bad = parse_config(toml::parse("compact_after_bytes = -1"), "backend.embedded");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.message().find("backend.embedded.compact_after_bytes"), std::string::npos);
  bad = parse_config(toml::parse("group_commit = \"yes\""), "backend.embedded");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.message().find("backend.embedded.group_commit"), std::string::npos);
}

// A state log that cannot be opened fails the adapter's creation (and so startup).
TEST(EmbeddedConfig, UnopenableStateFileFailsCreate) {
  EmbeddedFactory factory;
  ASSERT_TRUE(factory
                  .configure(toml::parse("state_file = \"/proc/self/no/such/state.log\""),
                             "backend.embedded")
                  .is_ok());
  EXPECT_EQ(factory.create(AdapterContext{}), nullptr);
}

}  // namespace
}  // namespace mtedge::backend::embedded
