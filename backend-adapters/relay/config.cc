#include "backend-adapters/relay/config.h"

#include <fmt/format.h>

#include "backend-adapters/api/config_section.h"
#include "codecs/framers/framers.h"

namespace mtedge::backend::relay {
namespace {

constexpr uint32_t kMaxConnectTimeoutMs = 600'000;
constexpr int64_t kMinBufferBytes = 4096;
constexpr int64_t kMaxBufferBytes = int64_t(1) << 30;
constexpr int64_t kMinFrameBytes = 1024;
constexpr int64_t kMaxFrameBytes = int64_t(64) << 20;

using config::parse_int;
using config::Section;

// Reads an address string at `key` into `out`; false when absent.
bool read_address(Section& s, std::string_view key, UpstreamAddress& out) {
  std::string text;
  if (!s.string(key, text)) return false;
  auto address = parse_address(text);
  if (!address) {
    s.fail(key, address.message());
  } else {
    out = std::move(address.value());
  }
  return true;
}

void read_transport(Section& s, codecs::TransportKind& out) {
  std::string name(codecs::transport_name(out));
  if (!s.string("upstream_transport", name)) return;
  const codecs::TransportSet framed = codecs::framed_transports();
  const auto kind = codecs::parse_transport(name);
  if (kind && framed.contains(*kind)) {
    out = *kind;
    return;
  }
  // obfuscated2 is not a framing: see upstream_obfuscated.
  s.fail("upstream_transport", fmt::format("unknown transport \"{}\" (one of {})", name,
                                           codecs::transport_names(framed)));
}

// [backend.relay.dc]: "dc id" = "host:port".
void read_dc_table(Section& s, std::map<int16_t, UpstreamAddress>& out) {
  s.note("dc", "");
  Section dcs = s.table("dc");
  for (const std::string& key : dcs.keys()) {
    int16_t dc_id = 0;
    if (!parse_int(key, dc_id) || dc_id == 0) {
      return dcs.fail(key, "key must be a non-zero signed DC id (e.g. \"2\", \"-2\", \"10002\")");
    }
    read_address(dcs, key, out[dc_id]);
  }
}

void read_secret(Section& s, std::optional<codecs::obfuscated::Secret>& out) {
  s.note("upstream_secret", "");
  std::string text;
  if (!s.string("upstream_secret", text)) return;
  auto secret = codecs::obfuscated::Secret::from_text("upstream", text);
  if (!secret) return s.fail("upstream_secret", secret.message());
  if (secret.value().kind == codecs::obfuscated::SecretKind::kEe) {
    return s.fail("upstream_secret",
                  "fake-TLS (ee) secrets are not spoken upstream; use plain or dd");
  }
  out = std::move(secret.value());
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

Result<RelayConfig> parse_config(const toml::table& block, std::string_view path,
                                 config::KeyCatalog* catalog) {
  RelayConfig config;
  Status status;
  Section s(&block, std::string(path), status, catalog);
  s.note("upstream", "");
  const bool have_upstream = read_address(s, "upstream", config.upstream);
  read_transport(s, config.transport);
  read_dc_table(s, config.dc);
  s.boolean("upstream_obfuscated", config.obfuscated);
  read_secret(s, config.secret);
  s.integer("default_dc", config.default_dc, -32768, 32767);
  if (config.default_dc == 0) s.fail("default_dc", "must be a non-zero DC id");
  s.integer("connect_timeout_ms", config.connect_timeout_ms, 1, kMaxConnectTimeoutMs);
  s.integer("max_upstream_buffer_bytes", config.max_upstream_buffer_bytes, kMinBufferBytes,
            kMaxBufferBytes);
  s.integer("max_frame_bytes", config.max_frame_bytes, kMinFrameBytes, kMaxFrameBytes);
  s.check_unknown();
  if (config.secret && !config.obfuscated) {
    s.fail("upstream_secret", "needs upstream_obfuscated = true");
  }
  const codecs::TransportSet carried = codecs::obfuscated2_inner_transports();
  if (config.obfuscated && !carried.contains(config.transport)) {
    s.fail("upstream_obfuscated",
           fmt::format("obfuscated2 carries {}, not {}", codecs::transport_names(carried),
                       codecs::transport_name(config.transport)));
  }
  if (!have_upstream) s.fail("upstream", "missing (the default upstream \"host:port\")");
  if (!status) return status;
  return config;
}

config::KeyCatalog config_keys(std::string_view path) {
  return config::catalog_of(path, parse_config);
}

}  // namespace mtedge::backend::relay
