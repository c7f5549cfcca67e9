#include "backend-adapters/socket/config.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "backend-adapters/api/config_read.h"

namespace mtedge::backend::socket {
namespace {

constexpr int64_t kMaxTimeoutMs = 600'000;
constexpr int64_t kMaxWindow = 1 << 20;
constexpr int64_t kMinQueuedBytes = 64 * 1024;
constexpr int64_t kMaxQueuedBytes = int64_t(1) << 30;
constexpr int64_t kMinMessageBytes = 4096;
constexpr int64_t kMaxMessageBytes = int64_t(64) << 20;
constexpr std::string_view kUnixPrefix = "unix:";

using config::error_at;
using config::read_int;

Result<DownOutcome> read_outcome(const toml::node& node, std::string_view path) {
  DownOutcome outcome;
  if (auto text = node.value_exact<std::string>()) {
    if (*text == "close") return outcome;
    return error_at(path, fmt::format("unknown outcome \"{}\" (\"close\", -429 or -444)", *text));
  }
  if (auto code = node.value_exact<int64_t>()) {
    if (*code == -404) {
      return error_at(path, "-404 makes clients drop their auth key; use \"close\", -429 or -444");
    }
    if (*code != -429 && *code != -444) {
      return error_at(path,
                      fmt::format("{} is not a transport error (\"close\", -429 or -444)", *code));
    }
    outcome.close = false;
    outcome.error_code = static_cast<int32_t>(*code);
    return outcome;
  }
  return error_at(path, "must be \"close\" or a transport error code (-429 or -444)");
}

Result<Endpoint> parse_unix(std::string_view text, std::string_view path) {
  Endpoint endpoint;
  endpoint.name = std::string(text);
  endpoint.is_unix = true;
  endpoint.path = std::string(path);
  if (endpoint.path.empty() || endpoint.path.front() != '/') {
    return Status::error(
        fmt::format("invalid endpoint \"{}\" (a Unix path must be absolute)", text));
  }
  if (endpoint.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Status::error(fmt::format("invalid endpoint \"{}\" (Unix path longer than {} bytes)",
                                     text, sizeof(sockaddr_un{}.sun_path) - 1));
  }
  return endpoint;
}

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view text) {
  if (text.starts_with(kUnixPrefix)) return parse_unix(text, text.substr(kUnixPrefix.size()));
  if (text.starts_with("/")) return parse_unix(text, text);

  auto resolved = config::resolve_host_port(text, "endpoint");
  if (!resolved) return resolved.status();
  Endpoint endpoint;
  endpoint.name = std::string(text);
  endpoint.addr = resolved.value();
  return endpoint;
}

Result<SocketConfig> parse_config(const toml::table& block, std::string_view path) {
  SocketConfig config;
  bool have_endpoints = false;
  for (const auto& [key_node, value_node] : block) {
    // A named reference: clang 14 cannot capture structured bindings in the lambdas below.
    const toml::node& node = value_node;
    std::string_view key = key_node.str();
    std::string at = fmt::format("{}.{}", path, key);
    auto read_u32 = [&](uint32_t& out, int64_t min, int64_t max) -> Status {
      auto value = read_int(node, at, min, max);
      if (!value) return value.status();
      out = static_cast<uint32_t>(*value);
      return Status::ok();
    };
    auto read_size = [&](size_t& out, int64_t min, int64_t max) -> Status {
      auto value = read_int(node, at, min, max);
      if (!value) return value.status();
      out = static_cast<size_t>(*value);
      return Status::ok();
    };
    Status status;
    if (key == "endpoints") {
      const toml::array* list = node.as_array();
      if (!list || list->empty()) {
        return error_at(at, "must be a non-empty list of \"host:port\" or Unix socket paths");
      }
      for (size_t i = 0; i < list->size(); ++i) {
        std::string item_at = fmt::format("{}[{}]", at, i);
        auto text = (*list)[i].value_exact<std::string>();
        if (!text) return error_at(item_at, "must be a string");
        auto endpoint = parse_endpoint(*text);
        if (!endpoint) return error_at(item_at, endpoint.message());
        for (const auto& seen : config.endpoints) {
          if (seen.name == endpoint->name) return error_at(item_at, "duplicate endpoint");
        }
        config.endpoints.push_back(std::move(endpoint.value()));
      }
      have_endpoints = true;
    } else if (key == "gateway_id") {
      auto text = node.value_exact<std::string>();
      if (!text || text->empty() || text->size() > 128) {
        return error_at(at, "must be a string of 1..128 bytes");
      }
      config.gateway_id = *text;
    } else if (key == "connect_timeout_ms") {
      status = read_u32(config.connect_timeout_ms, 1, kMaxTimeoutMs);
    } else if (key == "reconnect_min_ms") {
      status = read_u32(config.reconnect_min_ms, 1, kMaxTimeoutMs);
    } else if (key == "reconnect_max_ms") {
      status = read_u32(config.reconnect_max_ms, 1, kMaxTimeoutMs);
    } else if (key == "credit_window") {
      status = read_u32(config.credit_window, 1, kMaxWindow);
    } else if (key == "max_queued_bytes") {
      status = read_size(config.max_queued_bytes, kMinQueuedBytes, kMaxQueuedBytes);
    } else if (key == "max_message_bytes") {
      status = read_size(config.max_message_bytes, kMinMessageBytes, kMaxMessageBytes);
    } else if (key == "message_deadline_ms") {
      status = read_u32(config.message_deadline_ms, 1, kMaxTimeoutMs);
    } else if (key == "on_backend_down") {
      auto outcome = read_outcome(node, at);
      if (!outcome) return outcome.status();
      config.on_backend_down = outcome.value();
    } else if (key == "handshake_load_factor") {
      auto value = node.value<double>();
      if (!value || *value < 1.0 || *value > 100.0) {
        return error_at(at, "must be a number in [1.0, 100.0]");
      }
      config.handshake_load_factor = *value;
    } else {
      return error_at(at, "unknown key");
    }
    if (!status) return status;
  }
  if (!have_endpoints) {
    return error_at(fmt::format("{}.endpoints", path),
                    "missing (a list of \"host:port\" or Unix socket paths)");
  }
  if (config.reconnect_min_ms > config.reconnect_max_ms) {
    return error_at(fmt::format("{}.reconnect_min_ms", path),
                    fmt::format("{} is above reconnect_max_ms ({})", config.reconnect_min_ms,
                                config.reconnect_max_ms));
  }
  return config;
}

}  // namespace mtedge::backend::socket
