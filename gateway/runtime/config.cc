// The only translation unit of the gateway that runs toml++'s parser.
#include "gateway/runtime/config.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "backend-adapters/api/adapter_factory.h"
#include "gateway/conn/tls_session.h"

namespace mtedge::gateway {
namespace {

using codecs::TransportKind;
constexpr std::array<std::string_view, 7> kLogLevels = {"trace", "debug",    "info", "warn",
                                                        "error", "critical", "off"};
constexpr unsigned kMaxWorkers = 256;

std::string join(const auto& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

using backend::config::KeyCatalog;
using backend::config::Section;
using backend::config::toml_text;

// A top-level key that must be a table (or absent).
const toml::table* subtable(const toml::table& root, std::string_view key, Status& status) {
  const toml::node* node = root.get(key);
  if (!node) return nullptr;
  if (!node->is_table()) {
    if (status.is_ok())
      status = Status::error(std::string(key) + ": expected a table ([" + std::string(key) + "])");
    return nullptr;
  }
  return node->as_table();
}

void parse_gateway(const toml::table* table, GatewaySettings& g, Status& status,
                   KeyCatalog* catalog = nullptr) {
  Section s(table, "gateway", status, catalog);
  int64_t workers = 0;
  s.integer("workers", workers, 0, kMaxWorkers);
  s.integer("max_connections", g.max_connections, 1, 10'000'000);
  s.integer("max_connections_per_source", g.max_connections_per_source, 1, 10'000'000);
  s.boolean("limit_loopback_sources", g.limit_loopback_sources);
  s.integer("first_packet_timeout_ms", g.first_packet_timeout_ms, 10, 3'600'000);
  s.integer("auth_timeout_ms", g.auth_timeout_ms, 10, 3'600'000);
  s.integer("frame_timeout_ms", g.frame_timeout_ms, 100, 86'400'000);
  s.integer("max_memory_bytes", g.max_memory_bytes, int64_t(1) << 20, int64_t(1) << 50);
  s.integer("first_byte_timeout_ms", g.first_byte_timeout_ms, 10, 3'600'000);
  s.integer("detect_timeout_ms", g.detect_timeout_ms, 10, 3'600'000);
  s.integer("idle_timeout_ms", g.idle_timeout_ms, 100, 86'400'000);
  s.integer("park_after_ms", g.park_after_ms, 0, 86'400'000);
  s.integer("shutdown_timeout_ms", g.shutdown_timeout_ms, 0, 3'600'000);
  s.integer("max_frame_bytes", g.max_frame_bytes, 1024, 64 << 20);
  s.integer("first_frame_max_bytes", g.first_frame_max_bytes, 64, 64 << 20);
  s.integer("write_buffer_high", g.write_buffer_high, 1024, int64_t(1) << 30);
  s.integer("write_buffer_low", g.write_buffer_low, 0, int64_t(1) << 30);
  // Below 4 GiB: one write's length is an `unsigned` (uv_buf_t).
  s.integer("write_buffer_limit", g.write_buffer_limit, 4096, (int64_t(4) << 30) - 1);
  s.integer("read_buffer_bytes", g.read_buffer_bytes, 4096, 16 << 20);
  s.integer("replay_window_seconds", g.replay_window_seconds, 1, 86'400);
  s.integer("replay_max_entries", g.replay_max_entries, 1024, 1 << 26);
  s.integer("tls_max_past_seconds", g.tls_max_past_seconds, 0, 86'400);
  s.integer("tls_max_future_seconds", g.tls_max_future_seconds, 0, 86'400);
  s.integer("fronting_connect_timeout_ms", g.fronting_connect_timeout_ms, 10, 600'000);
  s.integer("http_max_wait_ms", g.http_max_wait_ms, 100, 600'000);
  std::string user;
  std::string group;
  s.note("user", toml_text(std::string_view()));
  s.string("user", user);
  s.note("group", toml_text(std::string_view()));
  s.string("group", group);
  s.check_unknown();
  if (!s.ok()) return;
  if (!group.empty() && user.empty()) return s.fail("group", "set only with gateway.user");
  if (!user.empty()) {
    auto run_as = look_up_run_as(user, group);
    if (!run_as) {
      const bool group_unknown = run_as.message().find("group \"") != std::string::npos;
      return s.fail(group_unknown ? "group" : "user", run_as.message());
    }
    g.run_as = run_as.value();
  }
  if (!s.ok()) return;
  g.workers = workers > 0
                  ? static_cast<unsigned>(workers)
                  : std::max(1u, std::min(kMaxWorkers, std::thread::hardware_concurrency()));
  if (g.first_frame_max_bytes > g.max_frame_bytes) {
    s.fail("first_frame_max_bytes", "must not exceed gateway.max_frame_bytes [" +
                                        std::to_string(g.first_frame_max_bytes) + " > " +
                                        std::to_string(g.max_frame_bytes) + "]");
  } else if (g.write_buffer_low > g.write_buffer_high) {
    s.fail("write_buffer_low", "must not exceed gateway.write_buffer_high");
  } else if (g.write_buffer_limit < g.write_buffer_high + g.max_frame_bytes + 64) {
    s.fail("write_buffer_limit",
           "must be at least gateway.write_buffer_high + gateway.max_frame_bytes + 64 [" +
               std::to_string(g.write_buffer_high + g.max_frame_bytes + 64) + "]");
  }
}

// secrets = [{ label = "...", secret = "hex or base64" }, ...]; allow_no_secret.
void parse_secrets(Section& s, ListenerConfig& l) {
  s.note("secrets", toml_text(std::vector<std::string>{}));
  if (const toml::array* arr = s.array(
          "secrets", "expected an array of tables ({ label = \"...\", secret = \"...\" })")) {
    for (size_t i = 0; i < arr->size() && s.ok(); ++i) {
      const std::string key = "secrets[" + std::to_string(i) + "]";
      Section item = s.item((*arr)[i], key);
      std::string label;
      std::string text;
      if (!item.string("label", label) && item.ok()) item.fail("label", "missing");
      if (item.ok() && label.empty()) item.fail("label", "must not be empty");
      if (!item.string("secret", text) && item.ok()) item.fail("secret", "missing");
      item.check_unknown();
      if (item.ok()) {
        for (const auto& other : l.secrets) {
          if (other.label == label) item.fail("label", "duplicate label \"" + label + "\"");
        }
      }
      if (item.ok()) {
        auto secret = codecs::obfuscated::Secret::from_text(label, text);
        if (!secret) {
          item.fail("secret", secret.message());
        } else {
          l.secrets.push_back(std::move(secret.value()));
        }
      }
    }
  }
  l.allow_no_secret = l.secrets.empty();
  s.note("allow_no_secret", "");  // computed: true without secrets
  s.boolean("allow_no_secret", l.allow_no_secret);
}

// tls = true with tls_cert_file and tls_key_file (loaded now, so a bad file fails startup).
void parse_tls(Section& s, ListenerConfig& l, std::string_view config_dir) {
  bool tls = false;
  s.boolean("tls", tls);
  s.note("tls_cert_file", "");
  s.note("tls_key_file", "");
  const bool have_cert = s.string("tls_cert_file", l.tls_cert_file);
  const bool have_key = s.string("tls_key_file", l.tls_key_file);
  if (!s.ok()) return;
  if (!tls) {
    if (have_cert || have_key) {
      s.fail(have_cert ? "tls_cert_file" : "tls_key_file", "set only with tls = true");
    }
    return;
  }
  if (!have_cert)
    return s.fail("tls_cert_file", "required with tls = true (PEM chain, leaf first)");
  if (!have_key) return s.fail("tls_key_file", "required with tls = true (PEM private key)");
  l.tls_cert_file = backend::config::resolve_config_path(config_dir, l.tls_cert_file);
  l.tls_key_file = backend::config::resolve_config_path(config_dir, l.tls_key_file);
  auto context = TlsServerContext::load(l.tls_cert_file, l.tls_key_file);
  if (!context) return s.fail("tls", context.message());
  l.tls = context.value();
}

// Secrets and transports must make sense together.
void check_secrets(Section& s, const ListenerConfig& l) {
  const auto fake_tls = TransportKind::kFakeTls;
  const auto obfuscated = TransportKind::kObfuscated;
  auto quoted = [](TransportKind kind) {
    return "\"" + std::string(codecs::transport_name(kind)) + "\"";
  };
  bool has_ee = false;
  bool has_obfuscated = false;
  for (const auto& secret : l.secrets) {
    (secret.kind == codecs::obfuscated::SecretKind::kEe ? has_ee : has_obfuscated) = true;
  }
  if (l.transports.contains(fake_tls) && !has_ee) {
    s.fail("transports", quoted(fake_tls) + " needs at least one ee secret in secrets");
  } else if (has_ee && !l.transports.contains(fake_tls)) {
    s.fail("secrets",
           "ee secrets are used only by the " + quoted(fake_tls) + " transport; list it");
  } else if (l.transports.contains(obfuscated) && !has_obfuscated && !l.allow_no_secret) {
    s.fail("transports", quoted(obfuscated) +
                             " serves clients with a plain or dd secret or with none, and this "
                             "listener admits neither: add a plain or dd secret, set "
                             "allow_no_secret = true (false by default once secrets are set), or "
                             "remove " +
                             quoted(obfuscated) + " from transports");
  } else if (has_obfuscated && !l.transports.contains(obfuscated)) {
    s.fail("secrets", "plain and dd secrets are used only by the " + quoted(obfuscated) +
                          " transport; list it");
  }
}

// An array of address ranges at `key` ("10.0.0.0/8", "::1/128", ...), appended to `out`; the
// catalog records `defaults`.
void read_cidr_list(Section& s, std::string_view key, const std::vector<std::string>& defaults,
                    std::vector<Cidr>& out) {
  s.note(key, toml_text(defaults));
  const toml::array* arr = s.array(key, "expected an array of address ranges (\"10.0.0.0/8\")");
  if (!arr) return;
  for (size_t i = 0; i < arr->size() && s.ok(); ++i) {
    const std::string item = std::string(key) + "[" + std::to_string(i) + "]";
    auto text = (*arr)[i].value_exact<std::string>();
    if (!text) return s.fail(item, "expected a string");
    auto range = parse_cidr(*text);
    if (!range) return s.fail(item, range.message());
    out.push_back(range.value());
  }
}

// proxy_protocol = true with proxy_trusted = ["10.0.0.0/8", ...] (required with it).
void parse_proxy_protocol(Section& s, ListenerConfig& l) {
  s.boolean("proxy_protocol", l.proxy_protocol);
  read_cidr_list(s, "proxy_trusted", {}, l.proxy_trusted);
  if (!s.ok()) return;
  if (l.proxy_protocol && l.proxy_trusted.empty()) {
    s.fail("proxy_trusted",
           "required with proxy_protocol = true: the balancers' addresses (e.g. "
           "[\"10.0.0.0/8\"]); nobody else may claim a client address");
  } else if (!l.proxy_protocol && !l.proxy_trusted.empty()) {
    s.fail("proxy_trusted", "set only with proxy_protocol = true");
  }
}

void parse_listener(const toml::table* table, size_t index, ListenerConfig& l, Status& status,
                    std::string_view config_dir, KeyCatalog* catalog = nullptr) {
  const std::string path = "listener[" + std::to_string(index) + "]";
  Section s(table, path, status, catalog);
  l.name = "listener" + std::to_string(index);
  s.note("name", "");  // computed from the index
  s.string("name", l.name);
  if (s.ok() && l.name.empty()) s.fail("name", "must not be empty");
  s.note("address", "");  // required
  if (s.string("address", l.address_text)) {
    auto addr = parse_address(l.address_text);
    if (!addr) {
      s.fail("address", addr.message());
    } else {
      l.address = addr.value();
    }
  } else if (s.ok()) {
    s.fail("address", "missing (e.g. \"0.0.0.0:443\" or \"[::]:443\")");
  }
  s.integer("backlog", l.backlog, 1, 65535);
  s.boolean("share_port", l.share_port);
  {
    std::vector<std::string> names;  // the default set, in table order
    for (const codecs::TransportRow& row : codecs::kTransports) {
      if (l.transports.contains(row.kind)) names.emplace_back(row.name);
    }
    s.note("transports", toml_text(names));
  }
  if (const toml::node* node = s.get("transports")) {
    const toml::array* arr = node->as_array();
    if (!arr) {
      s.fail("transports", "expected an array of strings");
    } else {
      l.transports = {};
      for (size_t i = 0; i < arr->size() && s.ok(); ++i) {
        const std::string key = "transports[" + std::to_string(i) + "]";
        auto name = (*arr)[i].value_exact<std::string>();
        const auto kind = name ? codecs::parse_transport(*name) : std::nullopt;
        if (!name) {
          s.fail(key, "expected a string");
        } else if (!kind) {
          s.fail(key,
                 "unknown transport \"" + *name + "\" (one of: " + codecs::transport_names() + ")");
        } else if (l.transports.contains(*kind)) {
          s.fail(key, "transport \"" + *name + "\" listed twice");
        } else {
          l.transports.add(*kind);
        }
      }
      if (s.ok() && l.transports.empty()) s.fail("transports", "must list at least one transport");
    }
  }
  parse_secrets(s, l);
  s.boolean("dd_strict", l.dd_strict);
  s.note("fronting", "");
  if (s.string("fronting", l.fronting_text)) {
    auto addr = parse_address(l.fronting_text);
    if (!addr) {
      s.fail("fronting", addr.message());
    } else {
      l.fronting = addr.value();
    }
  }
  parse_tls(s, l, config_dir);
  parse_proxy_protocol(s, l);
  s.check_unknown();
  if (!s.ok()) return;
  check_secrets(s, l);
}

// [crypto]. The RSA keys are read here (only with edge decryption on), so a missing or bad
// key fails startup and --check-config naming the key's index; no key material is kept in
// messages. The auth key file is only opened by Gateway::start.
void parse_crypto(const toml::table* table, CryptoConfig& c, Status& status,
                  std::string_view config_dir, KeyCatalog* catalog = nullptr) {
  Section s(table, "crypto", status, catalog);
  s.boolean("edge_decryption", c.edge_decryption);
  s.note("rsa_private_keys", "");  // required with edge_decryption
  if (const toml::array* arr = s.array("rsa_private_keys", "expected an array of PEM file paths")) {
    for (size_t i = 0; i < arr->size() && s.ok(); ++i) {
      auto path = (*arr)[i].value_exact<std::string>();
      if (!path || path->empty()) {
        s.fail("rsa_private_keys[" + std::to_string(i) + "]", "expected a non-empty string");
      } else {
        c.rsa_private_key_paths.push_back(backend::config::resolve_config_path(config_dir, *path));
      }
    }
  }
  s.string("auth_key_file", c.auth_key_file);
  c.auth_key_file = backend::config::resolve_config_path(config_dir, c.auth_key_file);
  s.integer("dc_id", c.dc_id, 1, 1000);
  s.boolean("test_dc", c.test_dc);
  s.boolean("allow_temp_keys", c.allow_temp_keys);
  s.integer("handshake_timeout_ms", c.handshake_timeout_ms, 1000, 600'000);
  s.integer("max_handshakes_per_connection", c.max_handshakes_per_connection, 1, 64);
  s.integer("max_handshakes_per_ip", c.max_handshakes_per_ip, 1, 1'000'000);
  s.integer("max_handshakes", c.max_handshakes, 1, 10'000'000);
  s.integer("max_handshakes_per_second_per_source", c.max_handshakes_per_second_per_source, 0,
            1'000'000);
  s.integer("handshake_burst_per_source", c.handshake_burst_per_source, 1, 1'000'000);
  s.boolean("allow_legacy_rsa", c.allow_legacy_rsa);
  s.integer("handshake_threads", c.handshake_threads, 0, 64);
  s.integer("dh_precompute", c.dh_precompute, 0, 65536);
  s.check_unknown();
  if (!s.ok() || !c.edge_decryption) return;
  if (c.rsa_private_key_paths.empty()) {
    return s.fail("rsa_private_keys",
                  "required with edge_decryption = true (PEM files; `make run` generates "
                  "var/rsa_private.pem, or: openssl genrsa -out FILE 2048)");
  }
  for (size_t i = 0; i < c.rsa_private_key_paths.size(); ++i) {
    const std::string key = "rsa_private_keys[" + std::to_string(i) + "]";
    auto loaded = crypto::RsaPrivateKey::from_pem_file(c.rsa_private_key_paths[i]);
    if (!loaded) return s.fail(key, loaded.message());
    for (const crypto::RsaPrivateKey& other : c.rsa_keys) {
      if (other.fingerprint() == loaded->fingerprint()) {
        return s.fail(key, "the same key is listed twice");
      }
    }
    c.rsa_keys.push_back(std::move(loaded.value()));
  }
}

// [backend]: `type` picks the factory, which validates its own [backend.<type>] block. Blocks
// of other known adapters may stay in the file (switching is changing `type`); only the
// selected one is validated.
Status parse_backend(const toml::table* table, const backend::AdapterRegistry& registry,
                     Config& config, std::shared_ptr<backend::AdapterFactory>& factory) {
  if (!table) return Status::error("backend: missing [backend] section with backend.type");
  Status status;
  Section s(table, "backend", status);
  const std::vector<std::string> known = registry.names();
  const std::string known_text = known.empty() ? std::string("none built") : join(known);
  if (!s.string("type", config.backend_type)) {
    if (!status) return status;
    return Status::error("backend.type: missing (known: " + known_text + ")");
  }
  factory = registry.make(config.backend_type);
  if (!factory) {
    return Status::error("backend.type: unknown backend \"" + config.backend_type +
                         "\" (known: " + known_text + ")");
  }
  s.check_unknown([&](std::string_view key, const toml::node& node) {
    return node.is_table() && std::find(known.begin(), known.end(), key) != known.end();
  });
  if (!status) return status;
  const std::string block_path = "backend." + config.backend_type;
  toml::table empty;
  const toml::table* block = &empty;
  if (const toml::node* node = table->get(config.backend_type)) {
    if (!node->is_table()) return Status::error(block_path + ": expected a table");
    block = node->as_table();
  }
  factory->set_config_dir(config.config_dir);
  Status configured = factory->configure(*block, block_path);
  if (!configured) return configured;
  const bool edge = config.crypto.edge_decryption;
  if (factory->edge_decryption() == backend::EdgeDecryptionNeed::kRequired && !edge) {
    return Status::error("crypto.edge_decryption: backend \"" + config.backend_type +
                         "\" works on decrypted messages; set edge_decryption = true");
  }
  if (factory->edge_decryption() == backend::EdgeDecryptionNeed::kForbidden && edge) {
    return Status::error("crypto.edge_decryption: backend \"" + config.backend_type +
                         "\" passes encrypted packets through; set edge_decryption = false");
  }
  if (const std::optional<int32_t> dc = factory->this_dc();
      edge && dc && *dc != config.crypto.dc_id) {
    return Status::error(block_path + ".this_dc: " + std::to_string(*dc) +
                         " differs from crypto.dc_id = " + std::to_string(config.crypto.dc_id) +
                         " (clients would be sent to DC " + std::to_string(*dc) +
                         " and their handshakes refused with -444); set both to the same id");
  }
  config.make_adapter = [factory](const backend::AdapterContext& context) {
    return factory->create(context);
  };
  return status;
}

// The bearer token in `path`: the file's text without trailing whitespace (a final newline).
Result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot read \"" + path + "\"");
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) return Status::error("\"" + path + "\" is empty");
  return token;
}

void parse_admin(const toml::table* table, AdminConfig& admin, Status& status,
                 std::string_view config_dir = "", KeyCatalog* catalog = nullptr) {
  Section s(table, "admin", status, catalog);
  if (s.string("address", admin.address_text) && !admin.address_text.empty()) {
    auto addr = parse_address(admin.address_text);
    if (!addr) {
      s.fail("address", addr.message());
    } else {
      admin.address = addr.value();
      admin.enabled = true;
    }
  }
  s.string("token", admin.token);
  std::string token_file;
  if (s.string("token_file", token_file) && !token_file.empty()) {
    if (!admin.token.empty()) {
      s.fail("token_file", "set either token or token_file, not both");
    } else if (!admin.enabled) {
      // Without admin.address nothing serves the API: the file is not read.
    } else if (Result<std::string> read =
                   read_token_file(backend::config::resolve_config_path(config_dir, token_file));
               !read) {
      s.fail("token_file", read.message());
    } else {
      admin.token = std::move(read.value());
    }
  }
  s.boolean("protect_metrics", admin.protect_metrics);
  if (admin.enabled && admin.protect_metrics && admin.token.empty()) {
    s.fail("protect_metrics", "needs admin.token or admin.token_file");
  }
  static const std::vector<std::string> kLoopback = {"127.0.0.0/8", "::1/128"};
  read_cidr_list(s, "allow", kLoopback, admin.allow);
  if (!table || !table->contains("allow")) {
    for (const std::string& range : kLoopback) admin.allow.push_back(parse_cidr(range).value());
  }
  s.integer("max_connections", admin.max_connections, 1, 1024);
  s.check_unknown();
}

void parse_log(const toml::table* table, LogConfig& log, Status& status,
               KeyCatalog* catalog = nullptr) {
  Section s(table, "log", status, catalog);
  s.one_of("level", log.level, kLogLevels);
  static constexpr std::array<std::string_view, 2> kFormats = {"text", "json"};
  s.one_of("format", log.format, kFormats);
  s.boolean("access", log.access);
  s.check_unknown();
}

// [redis] (optional): `address` (one server) or `nodes` (cluster seeds, or one server),
// numeric hosts only (hiredis would resolve a name on the worker's loop, blocking it).
void parse_redis(const toml::table* table, std::optional<redis::ClientOptions>& out, Status& status,
                 KeyCatalog* catalog = nullptr) {
  Section s(table, "redis", status, catalog);
  redis::ClientOptions o;
  auto node = [&](std::string_view key, const std::string& text) {
    auto addr = parse_address(text);
    if (!addr) return s.fail(key, addr.message());
    if (addr->port() == 0) return s.fail(key, "port must not be 0 [value = " + text + "]");
    o.nodes.push_back(redis::Address{format_host(addr->get()), addr->port()});
  };
  s.note("address", "");  // required unless nodes is set
  std::string address;
  const bool has_address = s.string("address", address);
  if (has_address) node("address", address);
  s.note("nodes", "");  // required unless address is set
  const toml::array* nodes = s.array("nodes", "expected an array of strings (\"host:port\")");
  for (size_t i = 0; nodes != nullptr && i < nodes->size() && s.ok(); ++i) {
    const std::string key = "nodes[" + std::to_string(i) + "]";
    if (auto text = (*nodes)[i].value<std::string>()) {
      node(key, *text);
    } else {
      s.fail(key, "expected a string (\"host:port\")");
    }
  }
  s.boolean("cluster", o.cluster);
  s.string("user", o.user);
  s.string("password", o.password);
  s.integer("db", o.db, 0, 1'000'000);
  s.integer("connect_timeout_ms", o.connect_timeout_ms, 10, 600'000);
  s.integer("command_timeout_ms", o.command_timeout_ms, 10, 600'000);
  s.integer("max_queued_commands", o.max_queued_commands, 1, 10'000'000);
  s.integer("reconnect_min_ms", o.reconnect_min_ms, 1, 600'000);
  s.integer("reconnect_max_ms", o.reconnect_max_ms, 1, 600'000);
  s.integer("max_redirects", o.max_redirects, 1, 100);
  s.check_unknown();
  if (!s.ok() || table == nullptr) return;
  if (has_address && nodes != nullptr) {
    s.fail("nodes", "set redis.address (one server) or redis.nodes, not both");
  } else if (o.nodes.empty()) {
    s.fail("address", "missing: set redis.address = \"host:port\" or redis.nodes = [...]");
  } else if (!o.cluster && o.nodes.size() > 1) {
    s.fail("nodes", "more than one node needs redis.cluster = true");
  } else if (o.cluster && o.db != 0) {
    s.fail("db", "a Redis Cluster has only database 0");
  } else if (!o.user.empty() && o.password.empty()) {
    s.fail("user", "needs redis.password");
  } else if (o.reconnect_min_ms > o.reconnect_max_ms) {
    s.fail("reconnect_min_ms", "must not exceed redis.reconnect_max_ms");
  } else {
    out = std::move(o);
  }
}

// [events]: sink = "none" | "redis" (then [redis] is required), the stream, which events.
void parse_events(const toml::table* table, EventsConfig& e, bool have_redis, Status& status,
                  KeyCatalog* catalog = nullptr) {
  Section s(table, "events", status, catalog);
  static constexpr std::array<std::string_view, 2> kSinks = {"none", "redis"};
  std::string sink = "none";
  s.one_of("sink", sink, kSinks);
  s.string("stream", e.stream);
  if (s.ok() && e.stream.empty()) s.fail("stream", "must not be empty");
  s.integer("maxlen", e.maxlen, 1, 1'000'000'000);
  static constexpr std::array<std::string_view, 3> kKinds = {"connection_opened",
                                                             "connection_closed", "counters"};
  s.note("events", toml_text(std::vector<std::string>(kKinds.begin(), kKinds.end())));
  if (const toml::array* arr = s.array("events", "expected an array of event names")) {
    e.connection_opened = e.connection_closed = e.counters = false;
    for (size_t i = 0; i < arr->size() && s.ok(); ++i) {
      const std::string key = "events[" + std::to_string(i) + "]";
      auto name = (*arr)[i].value_exact<std::string>();
      bool* flag = !name                          ? nullptr
                   : *name == "connection_opened" ? &e.connection_opened
                   : *name == "connection_closed" ? &e.connection_closed
                   : *name == "counters"          ? &e.counters
                                                  : nullptr;
      if (flag == nullptr) {
        s.fail(key, "expected one of: " + join(kKinds));
      } else if (*flag) {
        s.fail(key, "\"" + *name + "\" listed twice");
      } else {
        *flag = true;
      }
    }
  }
  s.integer("counters_interval_ms", e.counters_interval_ms, 100, 86'400'000);
  s.note("gateway_id", "");  // computed: "<hostname>:<pid>"
  s.string("gateway_id", e.gateway_id);
  s.integer("max_pending_events", e.max_pending_events, 1, 10'000'000);
  s.check_unknown();
  if (!s.ok()) return;
  e.enabled = sink == "redis";
  if (e.enabled && !have_redis) {
    return s.fail("sink", "\"redis\" needs a [redis] section (where to write)");
  }
  if (e.gateway_id.empty()) {
    char host[256] = {0};
    if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "mtedge");
    e.gateway_id = std::string(host) + ":" + std::to_string(::getpid());
  }
}

// Values that are valid one by one but work against each other (docs/configuration.md).
std::vector<std::string> find_warnings(const Config& config,
                                       const backend::AdapterFactory& factory) {
  std::vector<std::string> warnings;
  const GatewaySettings& g = config.gateway;
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const ListenerConfig& l = config.listeners[i];
    const std::string where = "listener[" + std::to_string(i) + "] (" + l.name + ")";
    if (l.transports.contains(codecs::TransportKind::kWebSocket) && !l.allow_no_secret) {
      warnings.push_back(where +
                         ": WebSocket clients send no secret, and allow_no_secret is false "
                         "(the default once secrets are set): web clients are refused; set "
                         "allow_no_secret = true to keep them");
    }
    for (const auto& secret : l.secrets) {
      if (secret.kind == codecs::obfuscated::SecretKind::kPlain &&
          (secret.key[0] == 0xdd || secret.key[0] == 0xee)) {
        warnings.push_back(where + ".secrets \"" + secret.label +
                           "\": a 16-byte plain secret that starts with " +
                           (secret.key[0] == 0xdd ? "dd" : "ee") +
                           "; if a dd or ee secret was meant it is one byte short (dd + 16 "
                           "bytes = 34 hex digits, ee + 16 bytes + the domain)");
      }
    }
  }
  auto any_listener = [&](auto serves) {
    return std::any_of(config.listeners.begin(), config.listeners.end(), serves);
  };
  const int64_t tls_window = g.tls_max_past_seconds + g.tls_max_future_seconds;
  if (g.replay_window_seconds < tls_window && any_listener([](const ListenerConfig& l) {
        return l.transports.contains(codecs::TransportKind::kFakeTls);
      })) {
    warnings.push_back(
        "gateway.replay_window_seconds (" + std::to_string(g.replay_window_seconds) +
        ") is shorter than gateway.tls_max_past_seconds + gateway.tls_max_future_seconds (" +
        std::to_string(tls_window) +
        "): a fake-TLS ClientHello can be replayed once it has left the replay cache while its "
        "timestamp is still accepted");
  }
  const std::optional<uint32_t> long_poll = factory.http_long_poll_ms();
  if (long_poll && g.http_max_wait_ms <= *long_poll && any_listener([](const ListenerConfig& l) {
        return l.transports.contains(codecs::TransportKind::kHttp);
      })) {
    warnings.push_back("gateway.http_max_wait_ms (" + std::to_string(g.http_max_wait_ms) +
                       ") is not above backend \"" + config.backend_type + "\"'s own long poll (" +
                       std::to_string(*long_poll) +
                       " ms): held HTTP requests are answered with an empty body before the "
                       "backend answers them");
  }
  return warnings;
}

Status parse_root(const toml::table& root, const backend::AdapterRegistry& registry,
                  Config& config) {
  Status status;
  for (auto&& [key, node] : root) {
    static constexpr std::array<std::string_view, 8> kSections = {
        "gateway", "listener", "crypto", "backend", "admin", "log", "redis", "events"};
    if (std::find(kSections.begin(), kSections.end(), key.str()) == kSections.end()) {
      return Status::error(std::string(key.str()) + ": unknown key (sections: " + join(kSections) +
                           ")");
    }
  }

  parse_gateway(subtable(root, "gateway", status), config.gateway, status);
  if (!status) return status;

  const toml::node* listeners = root.get("listener");
  if (!listeners) return Status::error("listener: at least one [[listener]] is required");
  const toml::array* arr = listeners->as_array();
  if (!arr || !arr->is_array_of_tables()) {
    return Status::error("listener: expected an array of tables ([[listener]])");
  }
  if (arr->empty()) return Status::error("listener: at least one [[listener]] is required");
  if (arr->size() > kMaxListeners) {
    return Status::error("listener: at most " + std::to_string(kMaxListeners) +
                         " [[listener]] tables");
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    ListenerConfig l;
    parse_listener((*arr)[i].as_table(), i, l, status, config.config_dir);
    if (!status) return status;
    for (size_t j = 0; j < config.listeners.size(); ++j) {
      if (config.listeners[j].name == l.name) {
        return Status::error("listener[" + std::to_string(i) + "].name: duplicate name \"" +
                             l.name + "\"");
      }
      if (config.listeners[j].address_text == l.address_text && l.address.port() != 0) {
        return Status::error("listener[" + std::to_string(i) +
                             "].address: same address as listener[" + std::to_string(j) + "]");
      }
    }
    config.listeners.push_back(std::move(l));
  }

  parse_crypto(subtable(root, "crypto", status), config.crypto, status, config.config_dir);
  if (!status) return status;

  const toml::table* backend_table = subtable(root, "backend", status);
  if (!status) return status;
  std::shared_ptr<backend::AdapterFactory> factory;
  status = parse_backend(backend_table, registry, config, factory);
  if (!status) return status;

  parse_admin(subtable(root, "admin", status), config.admin, status, config.config_dir);
  if (!status) return status;
  parse_log(subtable(root, "log", status), config.log, status);
  if (!status) return status;
  config.gateway.access_log = config.log.access;
  if (const toml::table* redis_table = subtable(root, "redis", status)) {
    parse_redis(redis_table, config.redis, status);
  }
  if (!status) return status;
  parse_events(subtable(root, "events", status), config.events, config.redis.has_value(), status);
  if (!status) return status;
  config.warnings = find_warnings(config, *factory);
  return status;
}

}  // namespace

KeyCatalog config_keys(const backend::AdapterRegistry& registry) {
  // Each reader runs over an absent table, so every key keeps (and records) its default. The
  // errors this raises (a listener without an address) do not stop the recording.
  KeyCatalog catalog;
  Status ignored;
  GatewaySettings gateway;
  parse_gateway(nullptr, gateway, ignored, &catalog);
  ListenerConfig listener;
  parse_listener(nullptr, 0, listener, ignored = Status::ok(), "", &catalog);
  CryptoConfig crypto;
  parse_crypto(nullptr, crypto, ignored = Status::ok(), "", &catalog);
  Section(nullptr, "backend", ignored, &catalog).note("type", "");  // required
  for (const std::string& name : registry.names()) {
    catalog.append(registry.make(name)->config_keys("backend." + name));
  }
  AdminConfig admin;
  parse_admin(nullptr, admin, ignored = Status::ok(), "", &catalog);
  LogConfig log;
  parse_log(nullptr, log, ignored = Status::ok(), &catalog);
  std::optional<redis::ClientOptions> redis;
  parse_redis(nullptr, redis, ignored = Status::ok(), &catalog);
  EventsConfig events;
  parse_events(nullptr, events, false, ignored = Status::ok(), &catalog);
  return catalog;
}

Result<Config> parse_config(std::string_view toml_text, const backend::AdapterRegistry& registry,
                            std::string_view source_name, std::string_view config_dir) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << "line " << e.source().begin.line << ", column " << e.source().begin.column << ": "
        << e.description();
    return Status::error(msg.str());
  }
  Config config;
  config.config_dir = std::string(config_dir);
  Status status = parse_root(root, registry, config);
  if (!status) return status;
  return config;
}

std::string describe_admitted_clients(const ListenerConfig& l) {
  std::string out = "secrets ";
  if (l.secrets.empty()) out += "none";
  for (size_t i = 0; i < l.secrets.size(); ++i) {
    const auto& secret = l.secrets[i];
    out += (i ? ", " : "") + secret.label + " (" +
           std::string(codecs::obfuscated::secret_kind_name(secret.kind)) +
           (secret.domain.empty() ? "" : " " + secret.domain) + ")";
  }
  const bool obfuscated = l.transports.contains(TransportKind::kObfuscated);
  const bool websocket = l.transports.contains(TransportKind::kWebSocket);
  std::string open_transports;  // transports without obfuscation: nobody needs a secret
  for (TransportKind kind :
       {TransportKind::kAbridged, TransportKind::kIntermediate, TransportKind::kPaddedIntermediate,
        TransportKind::kFull, TransportKind::kHttp}) {
    if (!l.transports.contains(kind)) continue;
    open_transports += (open_transports.empty() ? "" : ",");
    open_transports += codecs::transport_name(kind);
  }
  if (obfuscated || websocket) {
    out += std::string("; without a secret (") + (obfuscated ? "obfuscated2" : "") +
           (obfuscated && websocket ? ", " : "") + (websocket ? "WebSocket" : "") +
           "): " + (l.allow_no_secret ? "admitted" : "refused");
  }
  if (!l.secrets.empty() && !open_transports.empty()) {
    out += "; " + open_transports + " need no secret";
  }
  return out;
}

Result<Config> load_config_file(const std::string& path, const backend::AdapterRegistry& registry) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot read \"" + path + "\"");
  std::ostringstream text;
  text << in.rdbuf();
  // The folder as an absolute path, so log lines and errors name where a file really is.
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(path, ec).parent_path();
  if (ec) dir = std::filesystem::path(path).parent_path();
  return parse_config(text.str(), registry, path, dir.lexically_normal().string());
}

}  // namespace mtedge::gateway
