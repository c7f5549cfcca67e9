#include "backend-adapters/relay/config.h"

#include <fmt/format.h>

#include "backend-adapters/api/config_section.h"

namespace mtedge::backend::relay {
namespace {

constexpr uint32_t kMaxConnectTimeoutMs = 600'000;
constexpr int64_t kMinBufferBytes = 4096;
constexpr int64_t kMaxBufferBytes = int64_t(1) << 30;
constexpr int64_t kMinFrameBytes = 1024;
constexpr int64_t kMaxFrameBytes = int64_t(64) << 20;

struct TransportName {
  std::string_view name;
  UpstreamTransport transport;
};
constexpr TransportName kTransports[] = {
    {"abridged", UpstreamTransport::kAbridged},
    {"intermediate", UpstreamTransport::kIntermediate},
    {"padded", UpstreamTransport::kPadded},
    {"full", UpstreamTransport::kFull},
};

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

void read_transport(Section& s, UpstreamTransport& out) {
  std::string name(upstream_transport_name(out));
  if (!s.string("upstream_transport", name)) return;
  for (const auto& t : kTransports) {
    if (name == t.name) {
      out = t.transport;
      return;
    }
  }
  // obfuscated2 is not a framing: see upstream_obfuscated.
  s.fail(
      "upstream_transport",
      fmt::format("unknown transport \"{}\" (one of abridged, intermediate, padded, full)", name));
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

codecs::TransportKind framer_kind(UpstreamTransport transport) {
  switch (transport) {
    case UpstreamTransport::kAbridged: return codecs::TransportKind::kAbridged;
    case UpstreamTransport::kIntermediate: return codecs::TransportKind::kIntermediate;
    case UpstreamTransport::kPadded: return codecs::TransportKind::kPaddedIntermediate;
    case UpstreamTransport::kFull: return codecs::TransportKind::kFull;
  }
  return codecs::TransportKind::kIntermediate;
}

std::string_view upstream_transport_name(UpstreamTransport transport) {
  for (const auto& t : kTransports) {
    if (t.transport == transport) return t.name;
  }
  return "unknown";
}

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
  if (config.obfuscated && config.transport == UpstreamTransport::kFull) {
    s.fail("upstream_obfuscated", "obfuscated2 carries abridged, intermediate or padded, not full");
  }
  if (!have_upstream) s.fail("upstream", "missing (the default upstream \"host:port\")");
  if (!status) return status;
  return config;
}

config::KeyCatalog config_keys(std::string_view path) {
  config::KeyCatalog catalog;
  (void)parse_config(toml::table{}, path, &catalog);
  return catalog;
}

}  // namespace mtedge::backend::relay
