#include "backend-adapters/relay/config.h"

#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "backend-adapters/api/config_read.h"
#include "codecs/framers/framers.h"

namespace mtedge::backend::relay {
namespace {

constexpr uint32_t kMaxConnectTimeoutMs = 600'000;
constexpr int64_t kMinBufferBytes = 4096;
constexpr int64_t kMaxBufferBytes = int64_t(1) << 30;
constexpr int64_t kMinFrameBytes = 1024;
constexpr int64_t kMaxFrameBytes = int64_t(64) << 20;

using config::error_at;
using config::key_path;
using config::parse_int;
using config::read_int;

Result<UpstreamAddress> read_address(const toml::node& node, std::string_view path) {
  auto text = node.value_exact<std::string>();
  if (!text) return error_at(path, "must be a string \"host:port\"");
  auto address = parse_address(*text);
  if (!address) return error_at(path, address.message());
  return address;
}

}  // namespace

const UpstreamAddress& RelayConfig::upstream_for(std::optional<int16_t> dc_id) const {
  if (dc_id) {
    auto it = dc.find(*dc_id);
    if (it != dc.end()) return it->second;
  }
  return upstream;
}

Result<UpstreamAddress> parse_address(std::string_view text) {
  auto resolved = config::resolve_host_port(text, "address");
  if (!resolved) return resolved.status();
  UpstreamAddress out;
  out.text = std::string(text);
  out.addr = resolved.value();
  return out;
}

Result<RelayConfig> parse_config(const toml::table& block, std::string_view path) {
  RelayConfig config;
  bool have_upstream = false;
  for (const auto& [key_node, node] : block) {
    std::string_view key = key_node.str();
    std::string at = key_path(path, key);
    if (key == "upstream") {
      auto address = read_address(node, at);
      if (!address) return address.status();
      config.upstream = std::move(address.value());
      have_upstream = true;
    } else if (key == "upstream_transport") {
      auto name = node.value_exact<std::string>();
      if (!name) return error_at(at, "must be a string");
      const codecs::TransportSet framed = codecs::framed_transports();
      const auto kind = codecs::parse_transport(*name);
      if (!kind || !framed.contains(*kind)) {
        // obfuscated2 is not a framing: see upstream_obfuscated.
        return error_at(at, fmt::format("unknown transport \"{}\" (one of {})", *name,
                                        codecs::transport_names(framed)));
      }
      config.transport = *kind;
    } else if (key == "dc") {
      const toml::table* dcs = node.as_table();
      if (!dcs) return error_at(at, "must be a table of \"dc id\" = \"host:port\"");
      for (const auto& [dc_key, dc_node] : *dcs) {
        std::string dc_at = key_path(at, dc_key.str());
        int16_t dc_id = 0;
        if (!parse_int(dc_key.str(), dc_id) || dc_id == 0) {
          return error_at(dc_at,
                          "key must be a non-zero signed DC id (e.g. \"2\", \"-2\", \"10002\")");
        }
        auto address = read_address(dc_node, dc_at);
        if (!address) return address.status();
        config.dc[dc_id] = std::move(address.value());
      }
    } else if (key == "upstream_obfuscated") {
      auto value = node.value_exact<bool>();
      if (!value) return error_at(at, "must be true or false");
      config.obfuscated = *value;
    } else if (key == "upstream_secret") {
      auto text = node.value_exact<std::string>();
      if (!text) return error_at(at, "must be a string");
      auto secret = codecs::obfuscated::Secret::from_text("upstream", *text);
      if (!secret) return error_at(at, secret.message());
      if (secret.value().kind == codecs::obfuscated::SecretKind::kEe) {
        return error_at(at, "fake-TLS (ee) secrets are not spoken upstream; use plain or dd");
      }
      config.secret = std::move(secret.value());
    } else if (key == "default_dc") {
      auto value = read_int(node, at, -32768, 32767);
      if (!value) return value.status();
      if (*value == 0) return error_at(at, "must be a non-zero DC id");
      config.default_dc = static_cast<int16_t>(*value);
    } else if (key == "connect_timeout_ms") {
      auto value = read_int(node, at, 1, kMaxConnectTimeoutMs);
      if (!value) return value.status();
      config.connect_timeout_ms = static_cast<uint32_t>(*value);
    } else if (key == "max_upstream_buffer_bytes") {
      auto value = read_int(node, at, kMinBufferBytes, kMaxBufferBytes);
      if (!value) return value.status();
      config.max_upstream_buffer_bytes = static_cast<size_t>(*value);
    } else if (key == "max_frame_bytes") {
      auto value = read_int(node, at, kMinFrameBytes, kMaxFrameBytes);
      if (!value) return value.status();
      config.max_frame_bytes = static_cast<size_t>(*value);
    } else {
      return error_at(at, "unknown key");
    }
  }
  if (config.secret && !config.obfuscated) {
    return error_at(key_path(path, "upstream_secret"), "needs upstream_obfuscated = true");
  }
  const codecs::TransportSet carried = codecs::obfuscated2_inner_transports();
  if (config.obfuscated && !carried.contains(config.transport)) {
    return error_at(key_path(path, "upstream_obfuscated"),
                    fmt::format("obfuscated2 carries {}, not {}", codecs::transport_names(carried),
                                codecs::transport_name(config.transport)));
  }
  if (!have_upstream)
    return error_at(key_path(path, "upstream"), "missing (the default upstream \"host:port\")");
  return config;
}

}  // namespace mtedge::backend::relay
