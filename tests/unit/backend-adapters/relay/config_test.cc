// [backend.relay] parsing: good blocks load, and every bad key or value fails naming its path.
#include "backend-adapters/relay/config.h"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

#include "backend-adapters/relay/relay.h"

namespace mtedge::backend::relay {
namespace {

Result<RelayConfig> parse(std::string_view text) {
  toml::table root = toml::parse(text);
  return parse_config(*root["backend"]["relay"].as_table(), "backend.relay");
}

std::string error_of(std::string_view text) {
  auto r = parse(text);
  return r ? std::string("<ok>") : r.message();
}

TEST(RelayConfig, FullBlockLoads) {
  auto r = parse(R"(
[backend.relay]
upstream = "127.0.0.1:8443"
upstream_transport = "full"
connect_timeout_ms = 1500
max_upstream_buffer_bytes = 65536
max_frame_bytes = 2097152
[backend.relay.dc]
"2" = "127.0.0.2:443"
"-4" = "[::1]:444"
"10002" = "localhost:445"
)");
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->transport, codecs::TransportKind::kFull);
  EXPECT_EQ(r->upstream.text, "127.0.0.1:8443");
  EXPECT_EQ(r->upstream.addr.ss_family, AF_INET);
  EXPECT_EQ(r->connect_timeout_ms, 1500u);
  EXPECT_EQ(r->max_upstream_buffer_bytes, 65536u);
  EXPECT_EQ(r->max_frame_bytes, 2097152u);
  ASSERT_EQ(r->dc.size(), 3u);
  EXPECT_EQ(r->dc.at(-4).addr.ss_family, AF_INET6);
  EXPECT_EQ(r->upstream_for(int16_t(2)).text, "127.0.0.2:443");
  EXPECT_EQ(r->upstream_for(int16_t(-4)).text, "[::1]:444");
  EXPECT_EQ(r->upstream_for(int16_t(10002)).text, "localhost:445");
  EXPECT_EQ(r->upstream_for(int16_t(3)).text, "127.0.0.1:8443");
  EXPECT_EQ(r->upstream_for(std::nullopt).text, "127.0.0.1:8443");
}

TEST(RelayConfig, DefaultsApply) {
  auto r = parse("[backend.relay]\nupstream = \"127.0.0.1:1\"\n");
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->transport, codecs::TransportKind::kIntermediate);
  EXPECT_EQ(r->connect_timeout_ms, 5000u);
  EXPECT_EQ(r->max_upstream_buffer_bytes, 1u << 20);
  EXPECT_TRUE(r->dc.empty());
}

TEST(RelayConfig, EveryTransportName) {
  for (auto [name, kind] : {std::pair{"abridged", codecs::TransportKind::kAbridged},
                            std::pair{"intermediate", codecs::TransportKind::kIntermediate},
                            std::pair{"padded", codecs::TransportKind::kPaddedIntermediate},
                            std::pair{"full", codecs::TransportKind::kFull}}) {
    auto r =
        parse(std::string("[backend.relay]\nupstream = \"127.0.0.1:1\"\nupstream_transport = \"") +
              name + "\"\n");
    ASSERT_TRUE(r) << r.message();
    EXPECT_EQ(r->transport, kind);
  }
}

struct BadCase {
  const char* body;      // the [backend.relay] block's contents
  const char* expected;  // a substring of the error, starting with the key path
};

TEST(RelayConfig, BadKeysAndValuesNameThePath) {
  const BadCase cases[] = {
      {"", "backend.relay.upstream: missing"},
      {"upstream = \"x\"", "backend.relay.upstream: invalid address \"x\""},
      {"upstream = \"127.0.0.1\"", "backend.relay.upstream: invalid address"},
      {"upstream = \"127.0.0.1:0\"", "backend.relay.upstream: invalid address"},
      {"upstream = \"127.0.0.1:65536\"", "backend.relay.upstream: invalid address"},
      {"upstream = \"127.0.0.1:80x\"", "backend.relay.upstream: invalid address"},
      {"upstream = \":80\"", "backend.relay.upstream: invalid address"},
      {"upstream = \"::1:80\"", "backend.relay.upstream: invalid address"},
      {"upstream = \"[::1]80\"", "backend.relay.upstream: invalid address"},
      {"upstream = \"no-such-host.invalid:80\"", "backend.relay.upstream: invalid address"},
      {"upstream = 443", "backend.relay.upstream: expected a string"},
      {"upstream = \"127.0.0.1:1\"\nupstream_transport = \"obfuscated\"",
       "backend.relay.upstream_transport: unknown transport \"obfuscated\" (one of abridged, "
       "intermediate, padded, full)"},
      {"upstream = \"127.0.0.1:1\"\nupstream_transport = 1",
       "backend.relay.upstream_transport: expected a string"},
      {"upstream = \"127.0.0.1:1\"\nconnect_timeout_ms = 0",
       "backend.relay.connect_timeout_ms: must be between 1 and 600000 [value = 0]"},
      {"upstream = \"127.0.0.1:1\"\nconnect_timeout_ms = 600001",
       "backend.relay.connect_timeout_ms: must be between 1 and 600000 [value = 600001]"},
      {"upstream = \"127.0.0.1:1\"\nconnect_timeout_ms = \"5s\"",
       "backend.relay.connect_timeout_ms: expected an integer"},
      {"upstream = \"127.0.0.1:1\"\nconnect_timeout_ms = 1.5",
       "backend.relay.connect_timeout_ms: expected an integer"},
      {"upstream = \"127.0.0.1:1\"\nmax_upstream_buffer_bytes = 100",
       "backend.relay.max_upstream_buffer_bytes: must be between"},
      {"upstream = \"127.0.0.1:1\"\nmax_upstream_buffer_bytes = -1",
       "backend.relay.max_upstream_buffer_bytes: must be between"},
      {"upstream = \"127.0.0.1:1\"\nmax_frame_bytes = 10",
       "backend.relay.max_frame_bytes: must be between"},
      {"upstream = \"127.0.0.1:1\"\ntimeout = 5", "backend.relay.timeout: unknown key"},
      {"upstream = \"127.0.0.1:1\"\ndc = 5", "backend.relay.dc: expected a table"},
      {"upstream = \"127.0.0.1:1\"\n[backend.relay.dc]\n\"two\" = \"127.0.0.1:2\"",
       "backend.relay.dc.two: key must be a non-zero signed DC id"},
      {"upstream = \"127.0.0.1:1\"\n[backend.relay.dc]\n\"0\" = \"127.0.0.1:2\"",
       "backend.relay.dc.0: key must be"},
      {"upstream = \"127.0.0.1:1\"\n[backend.relay.dc]\n\"40000\" = \"127.0.0.1:2\"",
       "backend.relay.dc.40000: key must be"},
      {"upstream = \"127.0.0.1:1\"\n[backend.relay.dc]\n\"2x\" = \"127.0.0.1:2\"",
       "backend.relay.dc.2x: key must be"},
      {"upstream = \"127.0.0.1:1\"\n[backend.relay.dc]\n\"-2\" = \"nowhere\"",
       "backend.relay.dc.-2: invalid address \"nowhere\""},
      {"upstream = \"127.0.0.1:1\"\n[backend.relay.dc]\n\"2\" = 5",
       "backend.relay.dc.2: expected a string"},
      {"upstream = \"127.0.0.1:1\"\nupstream_obfuscated = \"yes\"",
       "backend.relay.upstream_obfuscated: expected true or false"},
      {"upstream = \"127.0.0.1:1\"\ndefault_dc = 0",
       "backend.relay.default_dc: must be a non-zero"},
      {"upstream = \"127.0.0.1:1\"\ndefault_dc = \"2\"",
       "backend.relay.default_dc: expected an integer"},
      {"upstream = \"127.0.0.1:1\"\nupstream_secret = 1",
       "backend.relay.upstream_secret: expected a string"},
  };
  for (const auto& c : cases) {
    std::string text = std::string("[backend.relay]\n") + c.body + "\n";
    std::string error = error_of(text);
    EXPECT_EQ(error.rfind(c.expected, 0), 0u) << "config:\n" << text << "\nerror: " << error;
  }
}

TEST(RelayConfig, CatalogHasEveryKeyWithItsDefault) {
  config::KeyCatalog catalog = config_keys("backend.relay");
  EXPECT_EQ(catalog.keys().size(), 9u);
  EXPECT_EQ(catalog.find("backend.relay.upstream")->default_toml, "");
  EXPECT_EQ(catalog.find("backend.relay.upstream_transport")->default_toml, "\"intermediate\"");
  EXPECT_EQ(catalog.find("backend.relay.max_frame_bytes")->default_toml, "4198400");
  EXPECT_EQ(catalog.find("backend.relay.default_dc")->min, -32768);
}

TEST(RelayConfig, RegistersUnderItsName) {
  AdapterRegistry registry;
  register_adapter(registry);
  auto factory = registry.make("relay");
  ASSERT_NE(factory, nullptr);
  toml::table root = toml::parse("[backend.relay]\nupstream_transport = \"abridged\"\n");
  Status status = factory->configure(*root["backend"]["relay"].as_table(), "backend.relay");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(),
            "backend.relay.upstream: missing (the default upstream \"host:port\")");
}

}  // namespace
}  // namespace mtedge::backend::relay
