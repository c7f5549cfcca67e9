#include "gateway/admin/management.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "base/hex.h"
#include "crypto/hash.h"

namespace mtedge::gateway::admin {

Management::Management(Gateway& gateway, const AdminConfig& config, ProcessInfo process,
                       std::function<void()> drain)
    : config_(config),
      views_(
          gateway, std::move(process),
          [&gateway, drain = std::move(drain)] {
            gateway.begin_shutdown();
            if (drain) drain();
          },
          counters_),
      server_(ServerOptions{config.address,
                            AccessPolicy{config.allow, config.token, config.protect_metrics},
                            config.max_connections},
              views_, counters_) {}

Status Management::start() {
  if (config_.token.empty() && !is_loopback(config_.address)) {
    spdlog::warn(
        "admin.address {} is not loopback and admin.token is not set: anyone admin.allow "
        "admits may list and close connections and drain the gateway",
        config_.address_text);
  }
  if (!is_loopback(config_.address) && admits_only_loopback(config_.allow)) {
    spdlog::warn(
        "admin.address {} is not loopback but admin.allow admits only loopback addresses: "
        "remote clients (e.g. Prometheus) are closed at accept; list their ranges in admin.allow",
        config_.address_text);
  }
  return server_.start();
}

void Management::stop() {
  server_.stop();
}

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return encode_hex(crypto::sha256(as_bytes(text.str())));
}

namespace {
const Cidr& loopback_v4() {
  static const Cidr range = parse_cidr("127.0.0.0/8").value();
  return range;
}
const Cidr& loopback_v6() {
  static const Cidr range = parse_cidr("::1/128").value();
  return range;
}
}  // namespace

bool admits_only_loopback(const std::vector<Cidr>& allow) {
  const Cidr& kLoopbackV4 = loopback_v4();
  const Cidr& kLoopbackV6 = loopback_v6();
  for (const Cidr& range : allow) {
    const bool inside =
        range.family == AF_INET
            ? range.bits >= kLoopbackV4.bits && kLoopbackV4.contains(AF_INET, range.bytes.data())
            : range.bits == kLoopbackV6.bits && kLoopbackV6.contains(AF_INET6, range.bytes.data());
    if (!inside) return false;
  }
  return true;
}

bool is_loopback(const SocketAddress& address) {
  const Cidr& kV4 = loopback_v4();
  const Cidr& kV6 = loopback_v6();
  if (address.is_ipv6()) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(address.get());
    return kV4.contains(AF_INET6, a->sin6_addr.s6_addr) ||
           kV6.contains(AF_INET6, a->sin6_addr.s6_addr);
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(address.get());
  return kV4.contains(AF_INET, reinterpret_cast<const uint8_t*>(&a->sin_addr.s_addr));
}

}  // namespace mtedge::gateway::admin
