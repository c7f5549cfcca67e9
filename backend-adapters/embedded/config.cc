#include "backend-adapters/embedded/config.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include "backend-adapters/api/config_read.h"

namespace mtedge::backend::embedded {
namespace {

using config::error_at;
using config::read_int;
using config::read_into;

}  // namespace

Result<EmbeddedConfig> parse_config(const toml::table& block, std::string_view path) {
  EmbeddedConfig config;
  for (const auto& [key_node, node] : block) {
    std::string_view key = key_node.str();
    std::string at = fmt::format("{}.{}", path, key);
    Status status;
    if (key == "this_dc") {
      status = read_into(node, at, 1, 1000, config.this_dc);
    } else if (key == "advertised_ip") {
      auto text = node.value_exact<std::string>();
      if (!text) return error_at(at, "must be a string (an IPv4 or IPv6 literal)");
      in6_addr v6{};
      in_addr v4{};
      if (inet_pton(AF_INET, text->c_str(), &v4) == 1) {
        config.advertised_ipv6 = false;
      } else if (inet_pton(AF_INET6, text->c_str(), &v6) == 1) {
        config.advertised_ipv6 = true;
      } else {
        return error_at(at, fmt::format("\"{}\" is not an IPv4 or IPv6 literal", *text));
      }
      config.advertised_ip = *text;
    } else if (key == "advertised_port") {
      status = read_into(node, at, 1, 65535, config.advertised_port);
    } else if (key == "test_mode") {
      auto value = node.value_exact<bool>();
      if (!value) return error_at(at, "must be a boolean");
      config.test_mode = *value;
    } else if (key == "max_sessions") {
      status = read_into(node, at, 16, 100'000'000, config.max_sessions);
    } else if (key == "max_auth_keys") {
      status = read_into(node, at, 16, 100'000'000, config.max_auth_keys);
    } else if (key == "max_queued_messages") {
      status = read_into(node, at, 1, 100'000, config.max_queued_messages);
    } else if (key == "max_stored_results") {
      status = read_into(node, at, 1, 100'000, config.max_stored_results);
    } else if (key == "max_remembered_msg_ids") {
      status = read_into(node, at, 16, 100'000, config.max_remembered_msg_ids);
    } else if (key == "max_inflate_bytes") {
      status = read_into(node, at, 1024, int64_t(64) << 20, config.max_inflate_bytes);
    } else if (key == "session_idle_expiry_s") {
      status = read_into(node, at, 1, 30 * 86400, config.session_idle_expiry_s);
    } else if (key == "salt_rotation_s") {
      status = read_into(node, at, 60, 7 * 86400, config.salt_rotation_s);
    } else {
      return error_at(at, "unknown key");
    }
    if (!status) return status;
  }
  return config;
}

}  // namespace mtedge::backend::embedded
