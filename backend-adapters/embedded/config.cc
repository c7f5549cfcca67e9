#include "backend-adapters/embedded/config.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

namespace mtedge::backend::embedded {
namespace {

using config::Section;

// advertised_ip: an IPv4 or IPv6 literal; sets advertised_ipv6 to match.
void read_advertised_ip(Section& s, EmbeddedConfig& config) {
  std::string text = config.advertised_ip;
  if (!s.string("advertised_ip", text)) return;
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    config.advertised_ipv6 = false;
  } else if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    config.advertised_ipv6 = true;
  } else {
    return s.fail("advertised_ip", fmt::format("\"{}\" is not an IPv4 or IPv6 literal", text));
  }
  config.advertised_ip = text;
}

// dev_login_code: "" or 5 to 8 digits.
void read_dev_login_code(Section& s, EmbeddedConfig& config) {
  std::string code;
  if (!s.string("dev_login_code", code)) return;
  const bool digits =
      std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!code.empty() && (!digits || code.size() < 5 || code.size() > 8)) {
    return s.fail("dev_login_code", fmt::format("\"{}\" is not \"\" or 5 to 8 digits", code));
  }
  config.dev_login_code = code;
}

}  // namespace

Result<EmbeddedConfig> parse_config(const toml::table& block, std::string_view path,
                                    config::KeyCatalog* catalog) {
  EmbeddedConfig config;
  Status status;
  Section s(&block, std::string(path), status, catalog);
  s.integer("this_dc", config.this_dc, 1, 1000);
  read_advertised_ip(s, config);
  s.integer("advertised_port", config.advertised_port, 1, 65535);
  s.boolean("test_mode", config.test_mode);
  read_dev_login_code(s, config);
  s.integer("max_sessions", config.max_sessions, 16, 100'000'000);
  s.integer("max_sessions_per_key", config.max_sessions_per_key, 1, 100'000);
  s.integer("max_auth_keys", config.max_auth_keys, 16, 100'000'000);
  s.integer("max_queued_messages", config.max_queued_messages, 1, 100'000);
  s.integer("max_stored_results", config.max_stored_results, 1, 100'000);
  s.integer("max_remembered_msg_ids", config.max_remembered_msg_ids, 16, 100'000);
  s.integer("max_inflate_bytes", config.max_inflate_bytes, 1024, int64_t(64) << 20);
  s.integer("max_packet_nodes", config.max_packet_nodes, 1024, 1 << 24);
  s.integer("session_idle_expiry_s", config.session_idle_expiry_s, 1, 30 * 86400);
  s.integer("salt_rotation_s", config.salt_rotation_s, 60, 7 * 86400);
  s.integer("online_expiry_s", config.online_expiry_s, 10, 86400);
  s.integer("messages_per_second", config.messages_per_second, 1, 1'000'000);
  s.integer("message_burst", config.message_burst, 1, 1'000'000);
  s.string("state_file", config.state_file);
  s.boolean("group_commit", config.group_commit);
  s.integer("compact_after_bytes", config.compact_after_bytes, 0, int64_t(1) << 40);
  s.check_unknown();
  if (!status) return status;
  return config;
}

config::KeyCatalog config_keys(std::string_view path) {
  return config::catalog_of(path, parse_config);
}

}  // namespace mtedge::backend::embedded
