#include "backend-adapters/embedded/config.h"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace mtedge::backend::embedded {
namespace {

Status error_at(std::string_view path, std::string_view what) {
  return Status::error(fmt::format("{}: {}", path, what));
}

Result<int64_t> read_int(const toml::node& node, std::string_view path, int64_t min, int64_t max) {
  auto value = node.value_exact<int64_t>();
  if (!value) return error_at(path, "must be an integer");
  if (*value < min || *value > max) {
    return error_at(path, fmt::format("{} is out of range [{}, {}]", *value, min, max));
  }
  return *value;
}

template <class T>
Status read_into(const toml::node& node, std::string_view path, int64_t min, int64_t max, T& out) {
  auto value = read_int(node, path, min, max);
  if (!value) return value.status();
  out = static_cast<T>(*value);
  return Status::ok();
}

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
