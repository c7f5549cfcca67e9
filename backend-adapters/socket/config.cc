#include "backend-adapters/socket/config.h"

#include <fmt/format.h>
#include <netdb.h>
#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace mtedge::backend::socket {
namespace {

constexpr int64_t kMaxTimeoutMs = 600'000;
constexpr int64_t kMaxWindow = 1 << 20;
constexpr int64_t kMinQueuedBytes = 64 * 1024;
constexpr int64_t kMaxQueuedBytes = int64_t(1) << 30;
constexpr int64_t kMinMessageBytes = 4096;
constexpr int64_t kMaxMessageBytes = int64_t(64) << 20;
constexpr std::string_view kUnixPrefix = "unix:";

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

  std::string_view host;
  std::string_view port_text;
  if (text.starts_with("[")) {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::error(fmt::format("invalid endpoint \"{}\" (want [v6]:port)", text));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Status::error(
          fmt::format("invalid endpoint \"{}\" (want host:port or a Unix socket path)", text));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  uint32_t port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (host.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port == 0 || port > 65535) {
    return Status::error(fmt::format("invalid endpoint \"{}\" (want host:port)", text));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string host_z(host);
  std::string port_z(port_text);
  int rc = getaddrinfo(host_z.c_str(), port_z.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Status::error(
        fmt::format("invalid endpoint \"{}\" (cannot resolve: {})", text, gai_strerror(rc)));
  }
  Endpoint endpoint;
  endpoint.name = std::string(text);
  std::memcpy(&endpoint.addr, found->ai_addr,
              std::min<size_t>(found->ai_addrlen, sizeof endpoint.addr));
  freeaddrinfo(found);
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
