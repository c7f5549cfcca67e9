// Config parsing: good configs, defaults, and every bad key or value naming its path.
#include "gateway/runtime/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "backend-adapters/api/adapter_factory.h"
#include "codecs/detector/detector.h"
#include "gateway/runtime/adapters.h"

namespace mtedge::gateway {
namespace {

using codecs::TransportKind;
using codecs::TransportSet;

// A factory for backend.type = "test": accepts only the key `answer` (an integer).
class TestFactory : public backend::AdapterFactory {
 public:
  Status configure(const toml::table& block, std::string_view path) override {
    Status status;
    backend::config::Section s(&block, std::string(path), status);
    int64_t answer = 0;
    s.integer("answer", answer, INT64_MIN, INT64_MAX);
    s.check_unknown();
    return status;
  }
  std::unique_ptr<backend::BackendAdapter> create(const backend::AdapterContext&) override {
    return nullptr;
  }
};

// A pass-through adapter (like relay): edge decryption must be off.
class PassThroughFactory final : public TestFactory {
 public:
  backend::EdgeDecryptionNeed edge_decryption() const override {
    return backend::EdgeDecryptionNeed::kForbidden;
  }
};

// A session-layer adapter (like embedded): edge decryption must be on.
class SessionFactory final : public TestFactory {
 public:
  backend::EdgeDecryptionNeed edge_decryption() const override {
    return backend::EdgeDecryptionNeed::kRequired;
  }
};

backend::AdapterRegistry test_registry() {
  backend::AdapterRegistry r;
  r.add("test", [] { return std::make_unique<TestFactory>(); });
  r.add("other", [] { return std::make_unique<TestFactory>(); });
  r.add("passthrough", [] { return std::make_unique<PassThroughFactory>(); });
  r.add("session", [] { return std::make_unique<SessionFactory>(); });
  return r;
}

constexpr const char* kMinimal = R"(
[[listener]]
address = "127.0.0.1:8888"
[backend]
type = "test"
)";

Result<Config> parse(const std::string& text) {
  return parse_config(text, test_registry());
}

// Expects `text` to fail with a message starting with `path` + ": ".
void expect_error(const std::string& text, const std::string& path,
                  const std::string& detail = "") {
  SCOPED_TRACE(text);
  Result<Config> r = parse(text);
  ASSERT_FALSE(r.is_ok()) << "expected an error at " << path;
  EXPECT_EQ(r.message().rfind(path + ": ", 0), 0u) << r.message();
  if (!detail.empty()) {
    EXPECT_NE(r.message().find(detail), std::string::npos) << r.message();
  }
}

TEST(GatewayConfig, MinimalConfigGetsDefaults) {
  Result<Config> r = parse(kMinimal);
  ASSERT_TRUE(r.is_ok()) << r.message();
  const Config& c = r.value();
  EXPECT_EQ(c.gateway.workers, std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(c.gateway.max_connections, 10000u);
  EXPECT_EQ(c.gateway.max_frame_bytes, (4u << 20) + 4096);
  EXPECT_EQ(c.gateway.read_buffer_bytes, 65536u);
  ASSERT_EQ(c.listeners.size(), 1u);
  EXPECT_EQ(c.listeners[0].name, "listener0");
  EXPECT_EQ(c.listeners[0].address.port(), 8888);
  EXPECT_FALSE(c.listeners[0].address.is_ipv6());
  EXPECT_EQ(c.listeners[0].transports,
            (TransportSet{TransportKind::kAbridged, TransportKind::kIntermediate,
                          TransportKind::kPaddedIntermediate, TransportKind::kFull}));
  EXPECT_EQ(c.backend_type, "test");
  EXPECT_TRUE(static_cast<bool>(c.make_adapter));
  EXPECT_FALSE(c.admin.enabled);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.format, "text");
}

TEST(GatewayConfig, FullConfigIsRead) {
  Result<Config> r = parse(R"(
[gateway]
workers = 3
max_connections = 77
first_byte_timeout_ms = 1500
detect_timeout_ms = 2500
idle_timeout_ms = 60000
park_after_ms = 250
shutdown_timeout_ms = 0
max_frame_bytes = 2000000
first_frame_max_bytes = 100000
write_buffer_high = 200000
write_buffer_low = 1000
write_buffer_limit = 3000000
read_buffer_bytes = 16384

[[listener]]
name = "v4"
address = "0.0.0.0:443"
backlog = 10
transports = ["intermediate", "obfuscated"]

[[listener]]
name = "v6"
address = "[::1]:8443"

[crypto]
edge_decryption = false

[backend]
type = "test"
[backend.test]
answer = 42
[backend.other]
whatever = "not validated: not selected"

[admin]
address = "[::1]:9100"

[log]
level = "debug"
format = "json"
)");
  ASSERT_TRUE(r.is_ok()) << r.message();
  const Config& c = r.value();
  EXPECT_EQ(c.gateway.workers, 3u);
  EXPECT_EQ(c.gateway.max_connections, 77u);
  EXPECT_EQ(c.gateway.first_byte_timeout_ms, 1500u);
  EXPECT_EQ(c.gateway.detect_timeout_ms, 2500u);
  EXPECT_EQ(c.gateway.idle_timeout_ms, 60000u);
  EXPECT_EQ(c.gateway.park_after_ms, 250u);
  EXPECT_EQ(c.gateway.shutdown_timeout_ms, 0u);
  EXPECT_EQ(c.gateway.max_frame_bytes, 2000000u);
  EXPECT_EQ(c.gateway.first_frame_max_bytes, 100000u);
  EXPECT_EQ(c.gateway.write_buffer_high, 200000u);
  EXPECT_EQ(c.gateway.write_buffer_low, 1000u);
  EXPECT_EQ(c.gateway.write_buffer_limit, 3000000u);
  EXPECT_EQ(c.gateway.read_buffer_bytes, 16384u);
  ASSERT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[0].backlog, 10);
  EXPECT_TRUE(c.listeners[0].transports.contains(TransportKind::kIntermediate));
  EXPECT_FALSE(c.listeners[0].transports.contains(TransportKind::kAbridged));
  EXPECT_TRUE(c.listeners[0].transports.contains(TransportKind::kObfuscated));
  EXPECT_FALSE(c.listeners[0].transports.contains(TransportKind::kFakeTls));
  EXPECT_TRUE(c.listeners[0].allow_no_secret);  // no secrets: obfuscated2 without one
  EXPECT_FALSE(c.listeners[0].fronting.has_value());
  EXPECT_TRUE(c.listeners[1].address.is_ipv6());
  EXPECT_EQ(c.listeners[1].address.port(), 8443);
  EXPECT_TRUE(c.admin.enabled);
  EXPECT_EQ(c.admin.address.port(), 9100);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, "json");
}

TEST(GatewayConfig, AdminAccessKeys) {
  Result<Config> defaults = parse(kMinimal);
  ASSERT_TRUE(defaults.is_ok());
  EXPECT_TRUE(defaults->admin.token.empty());
  EXPECT_FALSE(defaults->admin.protect_metrics);
  EXPECT_EQ(defaults->admin.max_connections, 16u);
  ASSERT_EQ(defaults->admin.allow.size(), 2u);  // loopback, both families
  const uint8_t loopback[4] = {127, 0, 0, 1};
  EXPECT_TRUE(any_contains(defaults->admin.allow, AF_INET, loopback));

  Result<Config> set = parse(std::string(kMinimal) +
                             "[admin]\naddress = \"127.0.0.1:9380\"\ntoken = \"t0k\"\n"
                             "protect_metrics = true\nallow = [\"10.0.0.0/8\"]\n"
                             "max_connections = 3\n");
  ASSERT_TRUE(set.is_ok()) << set.message();
  EXPECT_EQ(set->admin.token, "t0k");
  EXPECT_TRUE(set->admin.protect_metrics);
  EXPECT_EQ(set->admin.max_connections, 3u);
  ASSERT_EQ(set->admin.allow.size(), 1u);
  EXPECT_FALSE(any_contains(set->admin.allow, AF_INET, loopback));

  const std::string path = ::testing::TempDir() + "mtedge_admin_token";
  {
    std::ofstream out(path);
    out << "from-file\n";
  }
  const std::string served = std::string(kMinimal) + "[admin]\naddress = \"127.0.0.1:9380\"\n";
  Result<Config> from_file = parse(served + "token_file = \"" + path + "\"\n");
  ASSERT_TRUE(from_file.is_ok()) << from_file.message();
  EXPECT_EQ(from_file->admin.token, "from-file");
  expect_error(std::string(kMinimal) + "[admin]\ntoken = \"a\"\ntoken_file = \"" + path + "\"\n",
               "admin.token_file", "not both");
  expect_error(served + "token_file = \"/nonexistent/token\"\n", "admin.token_file", "cannot read");
  // Without admin.address the file is not read.
  Result<Config> unserved =
      parse(std::string(kMinimal) + "[admin]\ntoken_file = \"/nonexistent/token\"\n");
  ASSERT_TRUE(unserved.is_ok()) << unserved.message();
  EXPECT_TRUE(unserved->admin.token.empty());
  expect_error(served + "protect_metrics = true\n", "admin.protect_metrics",
               "needs admin.token or admin.token_file");
  expect_error(std::string(kMinimal) + "[admin]\nallow = [\"10.0.0.1/8\"]\n", "admin.allow[0]");
  expect_error(std::string(kMinimal) + "[admin]\nallow = \"127.0.0.1\"\n", "admin.allow");
  expect_error(std::string(kMinimal) + "[admin]\nmax_connections = 0\n", "admin.max_connections");
  std::remove(path.c_str());
}

TEST(GatewayConfig, WorkersBounds) {
  auto with_workers = [](const std::string& v) {
    return "[gateway]\nworkers = " + v + "\n" + kMinimal;
  };
  ASSERT_TRUE(parse(with_workers("1")).is_ok());
  EXPECT_EQ(parse(with_workers("256"))->gateway.workers, 256u);
  expect_error(with_workers("-1"), "gateway.workers", "between 0 and 256");
  expect_error(with_workers("257"), "gateway.workers", "between 0 and 256");
  expect_error(with_workers("\"four\""), "gateway.workers", "expected an integer");
  expect_error(with_workers("1.5"), "gateway.workers", "expected an integer");
}

TEST(GatewayConfig, BadGatewayValuesNameTheirKey) {
  auto with = [](const std::string& line) { return "[gateway]\n" + line + "\n" + kMinimal; };
  expect_error(with("max_connections = 0"), "gateway.max_connections");
  expect_error(with("first_byte_timeout_ms = 0"), "gateway.first_byte_timeout_ms");
  expect_error(with("detect_timeout_ms = -5"), "gateway.detect_timeout_ms");
  expect_error(with("idle_timeout_ms = true"), "gateway.idle_timeout_ms");
  expect_error(with("park_after_ms = -1"), "gateway.park_after_ms");
  expect_error(with("shutdown_timeout_ms = 99999999"), "gateway.shutdown_timeout_ms");
  expect_error(with("max_frame_bytes = 10"), "gateway.max_frame_bytes");
  expect_error(with("first_frame_max_bytes = 5000000"), "gateway.first_frame_max_bytes",
               "must not exceed");
  expect_error(with("write_buffer_low = 2000000"), "gateway.write_buffer_low");
  expect_error(with("write_buffer_limit = 5000000"), "gateway.write_buffer_limit");
  expect_error(with("read_buffer_bytes = 100"), "gateway.read_buffer_bytes");
  // One write's length is an `unsigned`: 4 GiB would wrap to 0.
  expect_error(with("write_buffer_limit = 4294967296"), "gateway.write_buffer_limit");
  expect_error(with("max_connections_per_source = 0"), "gateway.max_connections_per_source");
  expect_error(with("first_packet_timeout_ms = 0"), "gateway.first_packet_timeout_ms");
  expect_error(with("auth_timeout_ms = 0"), "gateway.auth_timeout_ms");
  expect_error(with("frame_timeout_ms = 0"), "gateway.frame_timeout_ms");
  expect_error(with("max_memory_bytes = 1000"), "gateway.max_memory_bytes");
  expect_error(with("limit_loopback_sources = 1"), "gateway.limit_loopback_sources");
}

TEST(GatewayConfig, UnknownKeysAreErrorsEverywhere) {
  expect_error(std::string("[gatway]\n") + kMinimal, "gatway", "unknown key");
  expect_error(std::string("[gateway]\nworker = 2\n") + kMinimal, "gateway.worker", "unknown key");
  expect_error(std::string(kMinimal) + "[crypto]\nrsa = 1\n", "crypto.rsa", "unknown key");
  expect_error(std::string(kMinimal) + "[admin]\nport = 1\n", "admin.port", "unknown key");
  expect_error(std::string(kMinimal) + "[log]\nfile = \"x\"\n", "log.file", "unknown key");
  expect_error(std::string(kMinimal) + "colour = 1\n", "backend.colour", "unknown key");
  expect_error(std::string(kMinimal) + "[backend.test]\nquestion = 1\n", "backend.test.question");
  expect_error(std::string(kMinimal) + "[backend.nonsense]\nx = 1\n", "backend.nonsense",
               "unknown key");
  expect_error(R"(
[[listener]]
address = "127.0.0.1:1"
[[listener]]
address = "127.0.0.1:2"
colour = "blue"
[backend]
type = "test"
)",
               "listener[1].colour", "unknown key");
  expect_error("top = 1\n" + std::string(kMinimal), "top", "unknown key");
}

std::string with_listener(const std::string& lines) {
  return "[[listener]]\naddress = \"127.0.0.1:1\"\n" + lines + "\n[backend]\ntype = \"test\"\n";
}

TEST(GatewayConfig, SecretsAndFronting) {
  Result<Config> r = parse(with_listener(R"(
transports = ["obfuscated", "fake-tls", "http"]
secrets = [
  { label = "a", secret = "0123456789abcdef0123456789abcdef" },
  { label = "b", secret = "dd0123456789abcdef0123456789abcdef" },
  { label = "c", secret = "ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d" },
]
dd_strict = true
fronting = "127.0.0.1:8443"
)"));
  ASSERT_TRUE(r.is_ok()) << r.message();
  const ListenerConfig& l = r.value().listeners[0];
  ASSERT_EQ(l.secrets.size(), 3u);
  EXPECT_EQ(l.secrets[0].label, "a");
  EXPECT_EQ(l.secrets[1].kind, codecs::obfuscated::SecretKind::kDd);
  EXPECT_EQ(l.secrets[2].kind, codecs::obfuscated::SecretKind::kEe);
  EXPECT_EQ(l.secrets[2].domain, "example.com");
  EXPECT_FALSE(l.allow_no_secret);  // secrets given: MTProxy style by default
  EXPECT_TRUE(l.dd_strict);
  ASSERT_TRUE(l.fronting.has_value());
  EXPECT_EQ(l.fronting->port(), 8443);
  EXPECT_TRUE(l.transports.contains(TransportKind::kObfuscated));
  EXPECT_TRUE(l.transports.contains(TransportKind::kFakeTls));
  EXPECT_TRUE(l.transports.contains(TransportKind::kHttp));
  EXPECT_FALSE(l.transports.contains(TransportKind::kWebSocket));
}

TEST(GatewayConfig, WebSocketAndHttpDecideWhatHttpRequestsBecome) {
  auto listener = [](const std::string& transports) {
    Result<Config> r = parse("[[listener]]\naddress = \"127.0.0.1:1\"\ntransports = " + transports +
                             "\n[backend]\ntype = \"test\"\n");
    EXPECT_TRUE(r.is_ok()) << r.message();
    return r.is_ok() ? r.value().listeners[0] : ListenerConfig{};
  };
  const Bytes get = {'G', 'E', 'T', ' '};
  ListenerConfig ws = listener(R"(["abridged", "websocket"])");
  EXPECT_TRUE(ws.transports.contains(TransportKind::kWebSocket));
  EXPECT_FALSE(ws.transports.contains(TransportKind::kHttp));
  // The detector must hand HTTP requests over.
  EXPECT_TRUE(codecs::detector::detect(get, ws.transports).matched(TransportKind::kHttp));
  ListenerConfig http_only = listener(R"(["abridged", "http"])");
  EXPECT_FALSE(http_only.transports.contains(TransportKind::kWebSocket));
  EXPECT_TRUE(http_only.transports.contains(TransportKind::kHttp));
  EXPECT_TRUE(codecs::detector::detect(get, http_only.transports).matched(TransportKind::kHttp));
}

TEST(GatewayConfig, HttpMaxWait) {
  Result<Config> r = parse("[gateway]\nhttp_max_wait_ms = 5000\n" + with_listener(""));
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r.value().gateway.http_max_wait_ms, 5000u);
  EXPECT_EQ(GatewaySettings{}.http_max_wait_ms, 30000u);
  expect_error("[gateway]\nhttp_max_wait_ms = 10\n" + with_listener(""), "gateway.http_max_wait_ms",
               "");
}

TEST(GatewayConfig, SecretErrorsNameTheKey) {
  const std::string plain = "0123456789abcdef0123456789abcdef";
  const std::string ee = "ee" + plain + "6578616d706c652e636f6d";
  expect_error(with_listener("secrets = [{ label = \"x\", secret = \"abc\" }]\n"
                             "transports = [\"obfuscated\"]"),
               "listener[0].secrets[0].secret", "x");
  expect_error(with_listener("secrets = [{ secret = \"" + plain + "\" }]"),
               "listener[0].secrets[0].label", "missing");
  expect_error(
      with_listener("secrets = [{ label = \"x\", secret = \"" + plain + "\", colour = 1 }]"),
      "listener[0].secrets[0].colour", "unknown key");
  expect_error(with_listener("transports = [\"obfuscated\"]\nsecrets = [{ label = \"x\", "
                             "secret = \"" +
                             plain + "\" }, { label = \"x\", secret = \"" + plain + "\" }]"),
               "listener[0].secrets[1].label", "duplicate");
  expect_error(with_listener("secrets = 3"), "listener[0].secrets", "array of tables");
  expect_error(with_listener("transports = [\"fake-tls\"]\nallow_no_secret = true"),
               "listener[0].transports", "ee secret");
  // An ee secret without "fake-tls" is named as such, before what "obfuscated" lacks.
  expect_error(with_listener("transports = [\"obfuscated\"]\nsecrets = [{ label = \"t\", "
                             "secret = \"" +
                             ee + "\" }]"),
               "listener[0].secrets", "ee secrets are used only by the \"fake-tls\" transport");
  expect_error(with_listener("transports = [\"obfuscated\", \"fake-tls\"]\nsecrets = [{ label "
                             "= \"t\", secret = \"" +
                             ee + "\" }]"),
               "listener[0].transports",
               "add a plain or dd secret, set allow_no_secret = true (false by default once "
               "secrets are set), or remove \"obfuscated\" from transports");
  expect_error(with_listener("transports = [\"obfuscated\"]\nallow_no_secret = true\n"
                             "secrets = [{ label = \"t\", secret = \"" +
                             ee + "\" }]"),
               "listener[0].secrets", "fake-tls");
  expect_error(with_listener("secrets = [{ label = \"p\", secret = \"" + plain + "\" }]"),
               "listener[0].secrets", "obfuscated");
  expect_error(with_listener("fronting = \"nowhere\""), "listener[0].fronting");
  expect_error(with_listener("dd_strict = 1"), "listener[0].dd_strict", "true or false");
  expect_error("[gateway]\nreplay_max_entries = 5\n" + with_listener(""),
               "gateway.replay_max_entries", "between");
}

TEST(GatewayConfig, BackendMustMatchEdgeDecryption) {
  const std::string listener = "[[listener]]\naddress = \"127.0.0.1:1\"\n";
  expect_error(listener + "[backend]\ntype = \"session\"\n", "crypto.edge_decryption",
               "set edge_decryption = true");
  const std::string key = std::string(MTEDGE_VECTORS_DIR) + "/test_rsa_2048.pem";
  expect_error(listener + "[crypto]\nedge_decryption = true\nrsa_private_keys = [\"" + key +
                   "\"]\n[backend]\ntype = \"passthrough\"\n",
               "crypto.edge_decryption", "set edge_decryption = false");
  EXPECT_TRUE(parse(listener + "[backend]\ntype = \"passthrough\"\n").is_ok());
}

TEST(GatewayConfig, BadAddresses) {
  for (const char* bad :
       {"1.2.3", "1.2.3.4", "1.2.3.4:", "1.2.3.4:99999", "1.2.3.4:-1", "[::1]", "[::1]80", "::1:80",
        "localhost:80", "[1.2.3.4]:80", "[::zz]:80", "", ":80"}) {
    std::string text = R"(
[[listener]]
address = "127.0.0.1:1"
[[listener]]
address = ")" + std::string(bad) +
                       R"("
[backend]
type = "test"
)";
    expect_error(text, "listener[1].address", std::string("invalid address \"") + bad + "\"");
  }
  expect_error("[[listener]]\nname = \"x\"\n[backend]\ntype = \"test\"\n", "listener[0].address",
               "missing");
  expect_error(std::string(kMinimal) + "[admin]\naddress = \"nowhere\"\n", "admin.address",
               "invalid address");
}

TEST(GatewayConfig, ListenerChecks) {
  expect_error("[backend]\ntype = \"test\"\n", "listener", "required");
  expect_error("listener = 5\n[backend]\ntype = \"test\"\n", "listener", "array of tables");
  auto with = [](const std::string& line) {
    return "[[listener]]\naddress = \"127.0.0.1:1\"\n" + line + "\n[backend]\ntype = \"test\"\n";
  };
  expect_error(with("transports = [\"abridged\", \"smoke-signals\"]"), "listener[0].transports[1]",
               "unknown transport");
  expect_error(with("transports = [\"full\", \"full\"]"), "listener[0].transports[1]", "twice");
  expect_error(with("transports = []"), "listener[0].transports", "at least one");
  expect_error(with("transports = \"full\""), "listener[0].transports", "array");
  expect_error(with("transports = [1]"), "listener[0].transports[0]", "string");
  expect_error(with("name = \"\""), "listener[0].name");
  expect_error(with("backlog = 0"), "listener[0].backlog");
  expect_error(R"(
[[listener]]
name = "a"
address = "127.0.0.1:1"
[[listener]]
name = "a"
address = "127.0.0.1:2"
[backend]
type = "test"
)",
               "listener[1].name", "duplicate");
}

TEST(GatewayConfig, BackendChecks) {
  expect_error("[[listener]]\naddress = \"127.0.0.1:1\"\n", "backend", "missing");
  expect_error("[[listener]]\naddress = \"127.0.0.1:1\"\n[backend]\n", "backend.type",
               "known: other, passthrough, session, test");
  expect_error("[[listener]]\naddress = \"127.0.0.1:1\"\n[backend]\ntype = \"embedded\"\n",
               "backend.type",
               "unknown backend \"embedded\" (known: other, passthrough, session, test)");
  expect_error("[[listener]]\naddress = \"127.0.0.1:1\"\n[backend]\ntype = 3\n", "backend.type",
               "string");
  expect_error(std::string(kMinimal) + "[crypto]\nedge_decryption = true\n",
               "crypto.rsa_private_keys", "required");
  expect_error(std::string(kMinimal) + "[crypto]\nedge_decryption = 1\n", "crypto.edge_decryption");
}

TEST(GatewayConfig, LogChecks) {
  expect_error(std::string(kMinimal) + "[log]\nlevel = \"loud\"\n", "log.level", "unknown value");
  expect_error(std::string(kMinimal) + "[log]\nformat = \"xml\"\n", "log.format", "unknown value");
}

TEST(GatewayConfig, RedisIsOptional) {
  Result<Config> none = parse(kMinimal);
  ASSERT_TRUE(none) << none.message();
  EXPECT_FALSE(none->redis.has_value());

  Result<Config> one = parse(std::string(kMinimal) + "[redis]\naddress = \"127.0.0.1:6380\"\n");
  ASSERT_TRUE(one) << one.message();
  ASSERT_TRUE(one->redis.has_value());
  ASSERT_EQ(one->redis->nodes.size(), 1u);
  EXPECT_EQ(one->redis->nodes[0].text(), "127.0.0.1:6380");
  EXPECT_FALSE(one->redis->cluster);
  EXPECT_EQ(one->redis->command_timeout_ms, 2000u);
  EXPECT_EQ(one->redis->max_queued_commands, 10000u);

  Result<Config> cluster = parse(std::string(kMinimal) + R"([redis]
nodes = ["10.0.0.1:7000", "[::1]:7001"]
cluster = true
user = "gateway"
password = "pw"
connect_timeout_ms = 500
command_timeout_ms = 750
max_queued_commands = 64
reconnect_min_ms = 10
reconnect_max_ms = 20
max_redirects = 3
)");
  ASSERT_TRUE(cluster) << cluster.message();
  const redis::ClientOptions& r = *cluster->redis;
  ASSERT_EQ(r.nodes.size(), 2u);
  EXPECT_EQ(r.nodes[1].host, "::1");
  EXPECT_EQ(r.nodes[1].port, 7001);
  EXPECT_TRUE(r.cluster);
  EXPECT_EQ(r.user, "gateway");
  EXPECT_EQ(r.password, "pw");
  EXPECT_EQ(r.connect_timeout_ms, 500u);
  EXPECT_EQ(r.command_timeout_ms, 750u);
  EXPECT_EQ(r.max_queued_commands, 64u);
  EXPECT_EQ(r.reconnect_min_ms, 10u);
  EXPECT_EQ(r.reconnect_max_ms, 20u);
  EXPECT_EQ(r.max_redirects, 3u);
}

TEST(GatewayConfig, RedisChecks) {
  const std::string base = std::string(kMinimal) + "[redis]\n";
  expect_error(base, "redis.address", "missing");
  expect_error(base + "address = \"localhost:6379\"\n", "redis.address");
  expect_error(base + "address = \"127.0.0.1:0\"\n", "redis.address", "port");
  expect_error(base + "address = \"127.0.0.1:6379\"\nnodes = [\"127.0.0.1:6380\"]\n", "redis.nodes",
               "not both");
  expect_error(base + "nodes = [\"127.0.0.1:1\", \"127.0.0.1:2\"]\n", "redis.nodes",
               "cluster = true");
  expect_error(base + "nodes = [\"127.0.0.1:1\", 5]\n", "redis.nodes[1]", "expected a string");
  expect_error(base + "nodes = \"127.0.0.1:1\"\n", "redis.nodes", "expected an array");
  expect_error(base + "nodes = [\"127.0.0.1:1\"]\ncluster = true\ndb = 2\n", "redis.db",
               "database 0");
  expect_error(base + "address = \"127.0.0.1:6379\"\nuser = \"u\"\n", "redis.user", "password");
  expect_error(
      base + "address = \"127.0.0.1:6379\"\nreconnect_min_ms = 50\nreconnect_max_ms = 10\n",
      "redis.reconnect_min_ms");
  expect_error(base + "address = \"127.0.0.1:6379\"\ncommand_timeout_ms = 0\n",
               "redis.command_timeout_ms", "between");
  expect_error(base + "address = \"127.0.0.1:6379\"\ntls = true\n", "redis.tls", "unknown key");
  expect_error("redis = 1\n" + std::string(kMinimal), "redis", "expected a table");
}

TEST(GatewayConfig, EventsAreOffByDefault) {
  Result<Config> none = parse(kMinimal);
  ASSERT_TRUE(none) << none.message();
  const EventsConfig& e = none->events;
  EXPECT_FALSE(e.enabled);
  EXPECT_EQ(e.stream, "{mtedge}:events");
  EXPECT_EQ(e.maxlen, 100000u);
  EXPECT_TRUE(e.connection_opened && e.connection_closed && e.counters);
  EXPECT_EQ(e.counters_interval_ms, 10000u);
  // "<hostname>:<pid>" when not set.
  const std::string pid_suffix = std::string(":").append(std::to_string(::getpid()));
  EXPECT_NE(e.gateway_id.find(pid_suffix), std::string::npos) << e.gateway_id;
}

TEST(GatewayConfig, EventsToRedis) {
  Result<Config> r = parse(std::string(kMinimal) + R"([redis]
address = "127.0.0.1:6380"
[events]
sink = "redis"
stream = "{edge}:log"
maxlen = 500
events = ["connection_closed", "counters"]
counters_interval_ms = 250
gateway_id = "edge-7"
max_pending_events = 64
)");
  ASSERT_TRUE(r) << r.message();
  const EventsConfig& e = r->events;
  EXPECT_TRUE(e.enabled);
  EXPECT_EQ(e.stream, "{edge}:log");
  EXPECT_EQ(e.maxlen, 500u);
  EXPECT_FALSE(e.connection_opened);
  EXPECT_TRUE(e.connection_closed);
  EXPECT_TRUE(e.counters);
  EXPECT_EQ(e.counters_interval_ms, 250u);
  EXPECT_EQ(e.gateway_id, "edge-7");
  EXPECT_EQ(e.max_pending_events, 64u);
}

TEST(GatewayConfig, EventsChecks) {
  const std::string redis = "[redis]\naddress = \"127.0.0.1:6380\"\n";
  const std::string base = std::string(kMinimal) + redis + "[events]\nsink = \"redis\"\n";
  expect_error(std::string(kMinimal) + "[events]\nsink = \"redis\"\n", "events.sink",
               "needs a [redis] section");
  expect_error(std::string(kMinimal) + "[events]\nsink = \"kafka\"\n", "events.sink",
               "unknown value");
  struct Case {
    const char* keys;
    const char* path;
    const char* message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"stream = \"\"", "events.stream", "empty"},
           {"maxlen = 0", "events.maxlen", "between"},
           {"events = [\"connection_opened\", \"bytes\"]", "events.events[1]",
            "expected one of: connection_opened, connection_closed, counters"},
           {"events = [\"counters\", \"counters\"]", "events.events[1]", "twice"},
           {"events = \"counters\"", "events.events", "expected an array"},
           {"counters_interval_ms = 5", "events.counters_interval_ms", "between"},
           {"max_pending_events = 0", "events.max_pending_events", "between"},
           {"topic = \"x\"", "events.topic", "unknown key"},
       }) {
    expect_error(base + c.keys + "\n", c.path, c.message);
  }
  expect_error("events = 1\n" + std::string(kMinimal), "events", "expected a table");
}

TEST(GatewayConfig, SyntaxErrorsNameTheLine) {
  Result<Config> r = parse("[gateway]\nworkers = = 3\n");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find("line 2"), std::string::npos) << r.message();
}

TEST(GatewayConfig, CryptoKeys) {
  const std::string key = std::string(MTEDGE_VECTORS_DIR) + "/test_rsa_2048.pem";
  const std::string on = std::string(kMinimal) + "[crypto]\nedge_decryption = true\n";
  Result<Config> r = parse(on + "rsa_private_keys = [\"" + key +
                           "\"]\nauth_key_file = \"/tmp/k.bin\"\ndc_id = 4\ntest_dc = true\n"
                           "allow_temp_keys = false\nhandshake_timeout_ms = 5000\n"
                           "max_handshakes_per_connection = 1\nmax_handshakes_per_ip = 3\n"
                           "max_handshakes = 7\ndh_precompute = 0\n");
  ASSERT_TRUE(r.is_ok()) << r.message();
  const CryptoConfig& c = r->crypto;
  EXPECT_TRUE(c.edge_decryption);
  ASSERT_EQ(c.rsa_keys.size(), 1u);
  EXPECT_NE(c.rsa_keys[0].fingerprint(), 0u);
  EXPECT_EQ(c.auth_key_file, "/tmp/k.bin");
  EXPECT_EQ(c.dc_id, 4);
  EXPECT_TRUE(c.test_dc);
  EXPECT_FALSE(c.allow_temp_keys);
  EXPECT_EQ(c.handshake_timeout_ms, 5000u);
  EXPECT_EQ(c.max_handshakes_per_connection, 1u);
  EXPECT_EQ(c.max_handshakes_per_ip, 3u);
  EXPECT_EQ(c.max_handshakes, 7u);
  EXPECT_EQ(c.dh_precompute, 0u);
  EXPECT_EQ(CryptoConfig{}.dh_precompute, 64u);

  expect_error(on + "rsa_private_keys = []\n", "crypto.rsa_private_keys", "required");
  expect_error(on + "rsa_private_keys = \"" + key + "\"\n", "crypto.rsa_private_keys", "array");
  expect_error(on + "rsa_private_keys = [1]\n", "crypto.rsa_private_keys[0]", "string");
  expect_error(on + "rsa_private_keys = [\"/nonexistent/key.pem\"]\n", "crypto.rsa_private_keys[0]",
               "cannot open");
  expect_error(on + "rsa_private_keys = [\"" + key + "\", \"" + key + "\"]\n",
               "crypto.rsa_private_keys[1]", "listed twice");
  expect_error(on + "rsa_private_keys = [\"" + std::string(MTEDGE_VECTORS_DIR) +
                   "/full_req_pq_multi.bin\"]\n",
               "crypto.rsa_private_keys[0]");
  expect_error(on + "dc_id = 0\n", "crypto.dc_id", "between 1 and 1000");
  expect_error(on + "handshake_timeout_ms = 10\n", "crypto.handshake_timeout_ms");
  expect_error(on + "max_handshakes_per_connection = 0\n", "crypto.max_handshakes_per_connection");
  expect_error(on + "max_handshakes_per_ip = 0\n", "crypto.max_handshakes_per_ip");
  expect_error(on + "max_handshakes = 0\n", "crypto.max_handshakes");
  expect_error(on + "dh_precompute = -1\n", "crypto.dh_precompute");
  expect_error(on + "dh_precompute = 65537\n", "crypto.dh_precompute");
  expect_error(on + "dh_precompute = \"many\"\n", "crypto.dh_precompute");
  expect_error(on + "auth_key_file = 3\n", "crypto.auth_key_file", "string");

  // With edge decryption off the keys are not read (a relay config may keep the lines).
  Result<Config> off =
      parse(std::string(kMinimal) + "[crypto]\nrsa_private_keys = [\"/nonexistent/key.pem\"]\n");
  ASSERT_TRUE(off.is_ok()) << off.message();
  EXPECT_TRUE(off->crypto.rsa_keys.empty());
}

TEST(GatewayConfig, ShippedConfigIsValid) {
  backend::AdapterRegistry registry;
  register_builtin_adapters(registry);
  if (!registry.make("embedded")) GTEST_SKIP() << "embedded adapter not built";
  // The shipped key path is var/ of a checkout where `make run` ran; use the test key.
  std::ifstream in(MTEDGE_VECTORS_DIR "/../../conf/mtedge.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string toml = text.str();
  const std::string shipped_key = "\"../var/rsa_private.pem\"";
  const size_t at = toml.find(shipped_key);
  ASSERT_NE(at, std::string::npos);
  toml.replace(at, shipped_key.size(), "\"" MTEDGE_VECTORS_DIR "/test_rsa_2048.pem\"");
  Result<Config> r = parse_config(toml, registry);
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r->backend_type, "embedded");
  EXPECT_TRUE(r->crypto.edge_decryption);
  EXPECT_EQ(r->crypto.rsa_keys.size(), 1u);
  EXPECT_EQ(r->crypto.auth_key_file, "../var/auth_keys.bin");  // no config_dir: as written
  EXPECT_TRUE(r->admin.enabled);
}

TEST(GatewayConfig, RelativePathsResolveAgainstTheConfigFolder) {
  backend::AdapterRegistry registry;
  register_builtin_adapters(registry);
  if (!registry.make("embedded")) GTEST_SKIP() << "embedded adapter not built";
  // A config in <tmp>/etc naming its key and key file relatively; read from another folder.
  const std::filesystem::path root =
      std::filesystem::temp_directory_path() /
      std::string("mtedge-config-dir-").append(std::to_string(::getpid()));
  std::filesystem::create_directories(root / "etc");
  std::filesystem::create_directories(root / "keys");
  std::filesystem::copy_file(MTEDGE_VECTORS_DIR "/test_rsa_2048.pem", root / "keys" / "rsa.pem",
                             std::filesystem::copy_options::overwrite_existing);
  {
    std::ofstream out(root / "etc" / "mtedge.toml");
    out << "[[listener]]\naddress = \"127.0.0.1:8888\"\n[crypto]\nedge_decryption = true\n"
           "rsa_private_keys = [\"../keys/rsa.pem\"]\nauth_key_file = \"state/keys.bin\"\n"
           "[backend]\ntype = \"embedded\"\n";
  }
  Result<Config> r = load_config_file((root / "etc" / "mtedge.toml").string(), registry);
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r->config_dir, (root / "etc").string());
  EXPECT_EQ(r->crypto.rsa_private_key_paths.at(0), (root / "keys" / "rsa.pem").string());
  EXPECT_EQ(r->crypto.auth_key_file, (root / "etc" / "state" / "keys.bin").string());
  EXPECT_EQ(r->crypto.rsa_keys.size(), 1u);
  std::filesystem::remove_all(root);
}

TEST(GatewayConfig, ResolveConfigPathKeepsAbsoluteAndEmptyPaths) {
  using backend::config::resolve_config_path;
  EXPECT_EQ(resolve_config_path("/etc/mtedge", "keys/a.pem"), "/etc/mtedge/keys/a.pem");
  EXPECT_EQ(resolve_config_path("/etc/mtedge", "../var/a"), "/etc/var/a");
  EXPECT_EQ(resolve_config_path("/etc/mtedge", "/srv/a"), "/srv/a");
  EXPECT_EQ(resolve_config_path("/etc/mtedge", ""), "");
  EXPECT_EQ(resolve_config_path("", "var/a"), "var/a");
}

TEST(GatewayConfig, EmbeddedThisDcMustMatchCryptoDcId) {
  backend::AdapterRegistry registry;
  register_builtin_adapters(registry);
  if (!registry.make("embedded")) GTEST_SKIP() << "embedded adapter not built";
  auto config_with = [](int crypto_dc, int this_dc) {
    return "[[listener]]\naddress = \"127.0.0.1:8888\"\n[crypto]\nedge_decryption = true\n"
           "rsa_private_keys = [\"" MTEDGE_VECTORS_DIR "/test_rsa_2048.pem\"]\ndc_id = " +
           std::to_string(crypto_dc) +
           "\n[backend]\ntype = \"embedded\"\n[backend.embedded]\nthis_dc = " +
           std::to_string(this_dc) + "\n";
  };
  Result<Config> same = parse_config(config_with(3, 3), registry);
  ASSERT_TRUE(same.is_ok()) << same.message();
  EXPECT_EQ(same->crypto.dc_id, 3);
  Result<Config> differ = parse_config(config_with(3, 2), registry);
  ASSERT_FALSE(differ.is_ok());
  EXPECT_NE(differ.message().find("backend.embedded.this_dc: 2 differs from crypto.dc_id = 3"),
            std::string::npos)
      << differ.message();
}

// With the built-in adapters: an unknown key and a value of the wrong type in every block,
// nested tables and array items included, fail naming the full key path.
TEST(GatewayConfig, EveryBlockNamesTheFullKeyPath) {
  backend::AdapterRegistry registry;
  register_builtin_adapters(registry);
  const std::string listeners =
      "[[listener]]\naddress = \"127.0.0.1:1\"\n[[listener]]\naddress = \"127.0.0.1:2\"\n";
  const std::string relay =
      "[backend]\ntype = \"relay\"\n[backend.relay]\nupstream = \"127.0.0.1:3\"\n";
  const std::string socket =
      "[backend]\ntype = \"socket\"\n[backend.socket]\nendpoints = [\"127.0.0.1:4\"]\n";
  const std::string embedded =
      "[crypto]\nedge_decryption = true\nrsa_private_keys = [\"" MTEDGE_VECTORS_DIR
      "/test_rsa_2048.pem\"]\n[backend]\ntype = \"embedded\"\n[backend.embedded]\n";
  struct Case {
    const char* adapter;  // needed built in, else skipped
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"relay", "[gateway]\nwokers = 2\n" + listeners + relay, "gateway.wokers: unknown key"},
      {"relay", "[gateway]\nworkers = \"2\"\n" + listeners + relay,
       "gateway.workers: expected an integer"},
      {"relay", listeners + "colour = 1\n" + relay, "listener[1].colour: unknown key"},
      {"relay", listeners + "backlog = true\n" + relay, "listener[1].backlog: expected an integer"},
      {"relay", listeners + "transports = [\"abridged\", 1]\n" + relay,
       "listener[1].transports[1]: expected a string"},
      {"relay", listeners + "secrets = [{ label = \"a\", secret = 1 }]\n" + relay,
       "listener[1].secrets[0].secret: expected a string"},
      {"relay",
       listeners +
           "secrets = [{ label = \"a\", secret = \"0123456789abcdef0123456789abcdef\", "
           "colour = 1 }]\n" +
           relay,
       "listener[1].secrets[0].colour: unknown key"},
      {"relay", listeners + "secrets = [\"0123\"]\n" + relay,
       "listener[1].secrets[0]: expected a table"},
      {"relay", listeners + "[crypto]\ndc = 2\n" + relay, "crypto.dc: unknown key"},
      {"relay", listeners + "[crypto]\ntest_dc = 1\n" + relay,
       "crypto.test_dc: expected true or false"},
      {"relay", listeners + "[crypto]\nrsa_private_keys = \"k.pem\"\n" + relay,
       "crypto.rsa_private_keys: expected an array of PEM file paths"},
      {"relay", listeners + relay + "colour = 1\n", "backend.relay.colour: unknown key"},
      {"relay", listeners + relay + "connect_timeout_ms = \"5s\"\n",
       "backend.relay.connect_timeout_ms: expected an integer"},
      {"relay", listeners + relay + "[backend.relay.dc]\n\"2\" = 443\n",
       "backend.relay.dc.2: expected a string"},
      {"relay", listeners + relay + "[backend.relay.dc]\nmain = \"127.0.0.1:5\"\n",
       "backend.relay.dc.main: key must be a non-zero signed DC id (e.g. \"2\", \"-2\", "
       "\"10002\")"},
      {"relay", listeners + "[backend]\ntype = 1\n", "backend.type: expected a string"},
      {"relay", listeners + relay + "[backend.colour]\nx = 1\n", "backend.colour: unknown key"},
      {"socket", listeners + socket + "colour = 1\n", "backend.socket.colour: unknown key"},
      {"socket",
       listeners + "[backend]\ntype = \"socket\"\n[backend.socket]\nendpoints = "
                   "[\"127.0.0.1:4\", 5]\n",
       "backend.socket.endpoints[1]: expected a string"},
      {"socket", listeners + socket + "credit_window = 1.5\n",
       "backend.socket.credit_window: expected an integer"},
      {"embedded", listeners + embedded + "colour = 1\n", "backend.embedded.colour: unknown key"},
      {"embedded", listeners + embedded + "advertised_port = \"443\"\n",
       "backend.embedded.advertised_port: expected an integer"},
      {"relay", listeners + relay + "[admin]\nport = 9090\n", "admin.port: unknown key"},
      {"relay", listeners + relay + "[admin]\naddress = 9090\n",
       "admin.address: expected a string"},
      {"relay", listeners + relay + "[log]\nfile = \"x\"\n", "log.file: unknown key"},
      {"relay", listeners + relay + "[log]\nlevel = 3\n", "log.level: expected a string"},
  };
  for (const Case& c : cases) {
    if (!registry.make(c.adapter)) continue;
    SCOPED_TRACE(c.text);
    Result<Config> r = parse_config(c.text, registry);
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.message(), c.message);
  }
}

// The warnings of a config that must be valid.
std::vector<std::string> warnings_of(const Result<Config>& r) {
  EXPECT_TRUE(r.is_ok()) << r.message();
  return r.is_ok() ? r->warnings : std::vector<std::string>{"<invalid config>"};
}

// Exactly one warning, starting with `start`.
void expect_one_warning(const std::vector<std::string>& warnings, const std::string& start) {
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].rfind(start, 0), 0u) << warnings[0];
}

TEST(GatewayConfig, ReplayWindowShorterThanTlsWindowWarns) {
  const std::string ee = "ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d";
  const std::string fake_tls =
      "transports = [\"fake-tls\"]\nsecrets = [{ label = \"t\", secret = \"" + ee + "\" }]";
  expect_one_warning(
      warnings_of(parse("[gateway]\nreplay_window_seconds = 700\n" + with_listener(fake_tls))),
      "gateway.replay_window_seconds (700) is shorter than "
      "gateway.tls_max_past_seconds + gateway.tls_max_future_seconds (720)");
  // Covering the window, or no fake-TLS on any listener: nothing to say.
  EXPECT_TRUE(
      warnings_of(parse("[gateway]\nreplay_window_seconds = 720\n" + with_listener(fake_tls)))
          .empty());
  EXPECT_TRUE(
      warnings_of(parse("[gateway]\nreplay_window_seconds = 10\n" + with_listener(""))).empty());
}

// Settings that silently refuse clients an operator probably wants are warned about.
TEST(GatewayConfig, SecretsThatRefuseWebClientsOrLookShortWarn) {
  const std::string dd = "dd0123456789abcdef0123456789abcdef";
  expect_one_warning(
      warnings_of(parse(with_listener("transports = [\"obfuscated\", \"websocket\"]\nsecrets = "
                                      "[{ label = \"f\", secret = \"" +
                                      dd + "\" }]"))),
      "listener[0] (listener0): WebSocket clients send no secret, and allow_no_secret is false");
  EXPECT_TRUE(warnings_of(parse(with_listener("transports = [\"obfuscated\", \"websocket\"]\n"
                                              "allow_no_secret = true\nsecrets = [{ label = "
                                              "\"f\", secret = \"" +
                                              dd + "\" }]")))
                  .empty());
  // dd + 15 bytes parses as a 16-byte plain secret starting with dd.
  expect_one_warning(
      warnings_of(parse(with_listener("transports = [\"obfuscated\"]\nsecrets = [{ label = "
                                      "\"short\", secret = \"" +
                                      dd.substr(0, 32) + "\" }]"))),
      "listener[0] (listener0).secrets \"short\": a 16-byte plain secret that starts with dd; "
      "if a dd or ee secret was meant it is one byte short");
}

TEST(GatewayConfig, StartupLineSaysWhichClientsAListenerAdmits) {
  const std::string dd = "dd0123456789abcdef0123456789abcdef";
  const std::string ee = "ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d";
  Result<Config> both = parse(with_listener(
      "transports = [\"obfuscated\", \"fake-tls\", \"websocket\"]\nsecrets = [{ label = "
      "\"friends\", secret = \"" +
      dd + "\" }, { label = \"site\", secret = \"" + ee + "\" }]"));
  ASSERT_TRUE(both.is_ok()) << both.message();
  EXPECT_EQ(describe_admitted_clients(both->listeners[0]),
            "secrets friends (dd), site (ee example.com); without a secret (obfuscated2, "
            "WebSocket): refused");
  Result<Config> open = parse(with_listener("transports = [\"obfuscated\"]"));
  ASSERT_TRUE(open.is_ok()) << open.message();
  EXPECT_EQ(describe_admitted_clients(open->listeners[0]),
            "secrets none; without a secret (obfuscated2): admitted");
  Result<Config> plain = parse(with_listener(""));
  ASSERT_TRUE(plain.is_ok()) << plain.message();
  EXPECT_EQ(describe_admitted_clients(plain->listeners[0]), "secrets none");
  // Secrets do not close the plain transports: the line says so.
  Result<Config> mixed = parse(
      with_listener("transports = [\"abridged\", \"obfuscated\", \"http\"]\nsecrets = [{ label = "
                    "\"friends\", secret = \"" +
                    dd + "\" }]"));
  ASSERT_TRUE(mixed.is_ok()) << mixed.message();
  EXPECT_EQ(describe_admitted_clients(mixed->listeners[0]),
            "secrets friends (dd); without a secret (obfuscated2): refused; abridged,http need no "
            "secret");
}

TEST(GatewayConfig, HttpMaxWaitNotAboveTheBackendsLongPollWarns) {
  backend::AdapterRegistry registry;
  register_builtin_adapters(registry);
  if (!registry.make("embedded")) GTEST_SKIP() << "embedded adapter not built";
  auto embedded_with = [&](const std::string& wait, const std::string& transports) {
    return warnings_of(parse_config(
        "[gateway]\nhttp_max_wait_ms = " + wait +
            "\n[[listener]]\naddress = \"127.0.0.1:8888\"\ntransports = " + transports +
            "\n[crypto]\nedge_decryption = true\nrsa_private_keys = [\"" MTEDGE_VECTORS_DIR
            "/test_rsa_2048.pem\"]\n[backend]\ntype = \"embedded\"\n",
        registry));
  };
  expect_one_warning(embedded_with("25000", "[\"http\"]"),
                     "gateway.http_max_wait_ms (25000) is not above backend "
                     "\"embedded\"'s own long poll (25000 ms)");
  EXPECT_TRUE(embedded_with("25001", "[\"http\"]").empty());
  // No listener serves MTProto over HTTP: the bound never applies.
  EXPECT_TRUE(embedded_with("1000", "[\"abridged\"]").empty());
  // A backend without long polls of its own (the test one) never warns.
  EXPECT_TRUE(warnings_of(parse("[gateway]\nhttp_max_wait_ms = 1000\n" +
                                with_listener("transports = [\"http\"]")))
                  .empty());
}

TEST(GatewayConfig, MissingFile) {
  Result<Config> r = load_config_file("/nonexistent/mtedge.toml", test_registry());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.message().find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace mtedge::gateway
