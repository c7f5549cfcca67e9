#include "backend-adapters/socket/config.h"

#include <fmt/format.h>
#include <sys/un.h>

#include "backend-adapters/api/config_section.h"

namespace mtedge::backend::socket {
namespace {

constexpr int64_t kMaxTimeoutMs = 600'000;
constexpr int64_t kMaxWindow = 1 << 20;
constexpr int64_t kMinQueuedBytes = 64 * 1024;
constexpr int64_t kMaxQueuedBytes = int64_t(1) << 30;
constexpr int64_t kMinMessageBytes = 4096;
constexpr int64_t kMaxMessageBytes = int64_t(64) << 20;
constexpr std::string_view kUnixPrefix = "unix:";

using config::Section;

// on_backend_down: "close" or a transport error code.
void read_outcome(Section& s, DownOutcome& out) {
  constexpr std::string_view kKey = "on_backend_down";
  s.note(kKey, out.close ? config::toml_text(std::string_view("close"))
                         : config::toml_text(int64_t{out.error_code}));
  const toml::node* node = s.get(kKey);
  if (!node) return;
  if (auto text = node->value_exact<std::string>()) {
    if (*text != "close") {
      return s.fail(kKey, fmt::format("unknown outcome \"{}\" (\"close\", -429 or -444)", *text));
    }
    out = DownOutcome{};
    return;
  }
  auto code = node->value_exact<int64_t>();
  if (!code) return s.fail(kKey, "expected \"close\" or a transport error code (-429 or -444)");
  if (*code == -404) {
    return s.fail(kKey, "-404 makes clients drop their auth key; use \"close\", -429 or -444");
  }
  if (*code != -429 && *code != -444) {
    return s.fail(kKey,
                  fmt::format("{} is not a transport error (\"close\", -429 or -444)", *code));
  }
  out.close = false;
  out.error_code = static_cast<int32_t>(*code);
}

// endpoints: a non-empty list of distinct endpoint texts. False when absent.
bool read_endpoints(Section& s, std::vector<Endpoint>& out) {
  constexpr std::string_view kKey = "endpoints";
  s.note(kKey, "");
  const toml::array* list =
      s.array(kKey, "expected a non-empty list of \"host:port\" or Unix socket paths");
  if (!list) return false;
  if (list->empty()) {
    s.fail(kKey, "expected a non-empty list of \"host:port\" or Unix socket paths");
  }
  for (size_t i = 0; i < list->size() && s.ok(); ++i) {
    const std::string item = fmt::format("{}[{}]", kKey, i);
    auto text = (*list)[i].value_exact<std::string>();
    if (!text) {
      s.fail(item, "expected a string");
      break;
    }
    auto endpoint = parse_endpoint(*text);
    if (!endpoint) {
      s.fail(item, endpoint.message());
      break;
    }
    for (const auto& seen : out) {
      if (seen.name == endpoint->name) s.fail(item, "duplicate endpoint");
    }
    out.push_back(std::move(endpoint.value()));
  }
  return true;
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

Result<SocketConfig> parse_config(const toml::table& block, std::string_view path,
                                  config::KeyCatalog* catalog) {
  SocketConfig config;
  Status status;
  Section s(&block, std::string(path), status, catalog);
  const bool have_endpoints = read_endpoints(s, config.endpoints);
  if (s.string("gateway_id", config.gateway_id) &&
      (config.gateway_id.empty() || config.gateway_id.size() > 128)) {
    s.fail("gateway_id", "must be a string of 1..128 bytes");
  }
  s.integer("connect_timeout_ms", config.connect_timeout_ms, 1, kMaxTimeoutMs);
  s.integer("reconnect_min_ms", config.reconnect_min_ms, 1, kMaxTimeoutMs);
  s.integer("reconnect_max_ms", config.reconnect_max_ms, 1, kMaxTimeoutMs);
  s.integer("credit_window", config.credit_window, 1, kMaxWindow);
  s.integer("max_held_credit_per_client", config.max_held_credit_per_client, 0, kMaxWindow);
  s.integer("max_queued_bytes", config.max_queued_bytes, kMinQueuedBytes, kMaxQueuedBytes);
  s.integer("max_message_bytes", config.max_message_bytes, kMinMessageBytes, kMaxMessageBytes);
  s.integer("message_deadline_ms", config.message_deadline_ms, 1, kMaxTimeoutMs);
  s.integer("write_deadline_ms", config.write_deadline_ms, 1, kMaxTimeoutMs);
  read_outcome(s, config.on_backend_down);
  s.number("handshake_load_factor", config.handshake_load_factor, 1.0, 100.0);
  s.check_unknown();
  if (!have_endpoints) {
    s.fail("endpoints", "missing (a list of \"host:port\" or Unix socket paths)");
  }
  if (config.reconnect_min_ms > config.reconnect_max_ms) {
    s.fail("reconnect_min_ms", fmt::format("{} is above reconnect_max_ms ({})",
                                           config.reconnect_min_ms, config.reconnect_max_ms));
  }
  if (config.max_held_credit_per_client > config.credit_window) {
    s.fail("max_held_credit_per_client",
           fmt::format("{} is above credit_window ({})", config.max_held_credit_per_client,
                       config.credit_window));
  }
  if (!status) return status;
  return config;
}

config::KeyCatalog config_keys(std::string_view path) {
  return config::catalog_of(path, parse_config);
}

}  // namespace mtedge::backend::socket
