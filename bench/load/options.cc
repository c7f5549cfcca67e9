#include "bench/load/options.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace mtedge::bench {

namespace {

// Test numbers 99966XYYYY: 10 000 users, one per connection.
constexpr unsigned kMaxPairs = 5000;

constexpr const char* kUsage = R"(usage: mtedge-load --target HOST:PORT [options]
  --transport T      abridged | intermediate | padded | full | obfuscated[:inner] |
                     fake-tls[:inner] | websocket[:inner]   (obfuscated2 inside; inner:
                     abridged, intermediate, padded; default intermediate) | http
                     (POST /api, keep-alive; --inflight > 1 pipelines)
  --secret HEX       MTProxy secret (plain or dd for obfuscated, ee for fake-tls)
  --dc N             dc id in the obfuscated2 init and the handshake (default 2)
  --mode M           raw | ping | handshake | idle | messenger (default raw)
  --connections N    connections (default 1)
  --pairs N          messenger: pairs of users, each user on its own connection (default 64)
  --inflight M       frames in flight per connection (default 1); messenger: messages in
                     flight per pair (sent, not yet both answered and delivered)
  --size S           payload bytes, a multiple of 4; or a mix "64:8,1024:1,16384:1"
                     (size:weight, default weight 1); messenger: text bytes, 16..4096
  --rate R           frames/s over all connections (default: as fast as answers come);
                     in handshake mode, handshakes started per second
  --duration S       measured seconds (default 5)
  --warmup S         seconds of traffic before measuring (default 1)
  --setup-timeout S  seconds for every connection to be set up (connect, transport, and
                     the handshake in ping / idle modes); what is still setting up then
                     counts as setup_timeout errors (default 60)
  --rsa-key FILE     the server's RSA key, PEM, public or private (ping, handshake,
                     messenger)
  --watch-pid PID    also report that process's CPU per frame (messenger: per delivered
                     message) and RSS (from /proc)
  --json FILE        write the results as JSON
  --allow-remote     allow a target that is not a loopback address
  --quiet            no progress lines)";

template <class T>
bool parse_number(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

bool parse_double(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && out >= 0;
}

Result<std::vector<SizeWeight>> parse_sizes(std::string_view text) {
  std::vector<SizeWeight> sizes;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? "" : text.substr(comma + 1);
    SizeWeight sw;
    const size_t colon = item.find(':');
    if (!parse_number(item.substr(0, colon), sw.size) ||
        (colon != std::string_view::npos && !parse_number(item.substr(colon + 1), sw.weight)))
      return Status::error("--size: bad item \"" + std::string(item) + "\"");
    if (sw.size < 8 || sw.size % 4 != 0 || sw.size > (1u << 20) || sw.weight == 0)
      return Status::error("--size: sizes are multiples of 4 in [8, 1 MiB], weights > 0");
    sizes.push_back(sw);
  }
  if (sizes.empty()) return Status::error("--size: empty");
  return sizes;
}

Result<LoadMode> parse_mode(std::string_view text) {
  if (text == "raw") return LoadMode::kRaw;
  if (text == "ping") return LoadMode::kPing;
  if (text == "handshake") return LoadMode::kHandshake;
  if (text == "idle") return LoadMode::kIdle;
  if (text == "messenger") return LoadMode::kMessenger;
  return Status::error("--mode: raw, ping, handshake, idle or messenger");
}

Status parse_target(std::string_view text, LoadOptions& o) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || !parse_number(text.substr(colon + 1), o.port) ||
      o.port == 0)
    return Status::error("--target: HOST:PORT expected");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  o.host = std::string(host);
  return Status::ok();
}

}  // namespace

std::string_view mode_name(LoadMode mode) {
  switch (mode) {
    case LoadMode::kRaw: return "raw";
    case LoadMode::kPing: return "ping";
    case LoadMode::kHandshake: return "handshake";
    case LoadMode::kIdle: return "idle";
    case LoadMode::kMessenger: return "messenger";
  }
  return "raw";
}

bool is_loopback(const std::string& host) {
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

Result<LoadOptions> parse_options(int argc, char** argv) {
  LoadOptions o;
  bool have_target = false;
  std::string secret_text;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") return Status::error(kUsage);
    if (flag == "--allow-remote") {
      o.allow_remote = true;
      continue;
    }
    if (flag == "--quiet") {
      o.quiet = true;
      continue;
    }
    if (i + 1 >= argc) return Status::error(flag + ": missing value\n" + kUsage);
    const std::string value = argv[++i];
    bool ok = true;
    if (flag == "--target") {
      if (Status s = parse_target(value, o); !s) return s;
      have_target = true;
    } else if (flag == "--transport") {
      auto spec = TransportSpec::parse(value);
      if (!spec) return Status::error("--transport: " + spec.message());
      o.transport = *spec;
    } else if (flag == "--secret") {
      secret_text = value;
    } else if (flag == "--dc") {
      ok = parse_number(std::string_view(value), o.dc);
    } else if (flag == "--mode") {
      auto mode = parse_mode(value);
      if (!mode) return mode.status();
      o.mode = *mode;
    } else if (flag == "--connections") {
      ok = parse_number(std::string_view(value), o.connections) && o.connections > 0;
    } else if (flag == "--pairs") {
      ok = parse_number(std::string_view(value), o.pairs) && o.pairs > 0 && o.pairs <= kMaxPairs;
    } else if (flag == "--inflight") {
      ok = parse_number(std::string_view(value), o.inflight) && o.inflight > 0;
    } else if (flag == "--size") {
      auto sizes = parse_sizes(value);
      if (!sizes) return sizes.status();
      o.sizes = *sizes;
    } else if (flag == "--rate") {
      ok = parse_double(value, o.rate);
    } else if (flag == "--duration") {
      ok = parse_double(value, o.duration_s) && o.duration_s > 0;
    } else if (flag == "--warmup") {
      ok = parse_double(value, o.warmup_s);
    } else if (flag == "--setup-timeout") {
      ok = parse_double(value, o.setup_timeout_s) && o.setup_timeout_s > 0;
    } else if (flag == "--rsa-key") {
      o.rsa_key_file = value;
    } else if (flag == "--watch-pid") {
      ok = parse_number(std::string_view(value), o.watch_pid) && o.watch_pid > 0;
    } else if (flag == "--json") {
      o.json_file = value;
    } else {
      return Status::error("unknown flag " + flag + "\n" + kUsage);
    }
    if (!ok) return Status::error(flag + ": bad value \"" + value + "\"");
  }
  if (!have_target) return Status::error(std::string("--target is required\n") + kUsage);
  if (!o.allow_remote && !is_loopback(o.host))
    return Status::error("--target " + o.host + " is not a loopback address (use --allow-remote)");
  o.transport.dc = int16_t(o.dc);
  if (!secret_text.empty()) {
    auto secret = codecs::obfuscated::Secret::from_text("load", secret_text);
    if (!secret) return Status::error("--secret: " + secret.message());
    o.secret = *secret;
  }
  using codecs::TransportKind;
  const bool ee = o.secret && o.secret->kind == codecs::obfuscated::SecretKind::kEe;
  if (o.transport.is(TransportKind::kFakeTls) && !ee)
    return Status::error("fake-tls needs an ee --secret");
  if (!o.transport.is(TransportKind::kFakeTls) && ee)
    return Status::error("an ee secret needs --transport fake-tls");
  if ((o.transport.plain() || o.transport.is(TransportKind::kHttp)) && o.secret)
    return Status::error("--secret needs obfuscated or fake-tls");
  const bool needs_key =
      o.mode == LoadMode::kPing || o.mode == LoadMode::kHandshake || o.mode == LoadMode::kMessenger;
  if (needs_key && o.rsa_key_file.empty())
    return Status::error("--mode ping/handshake/messenger needs --rsa-key");
  if (o.mode == LoadMode::kMessenger) {
    o.connections = 2 * o.pairs;
    for (const SizeWeight& sw : o.sizes) {
      if (sw.size < 16 || sw.size > 4096)
        return Status::error("--size: messenger texts are 16..4096 bytes");
    }
  }
  return o;
}

}  // namespace mtedge::bench
