#include "gateway/runtime/proxy_links.h"

#include <arpa/inet.h>

#include "base/hex.h"
#include "codecs/obfuscated/secret.h"

namespace mtedge::gateway {
namespace {

bool is_wildcard(const SocketAddress& address) {
  if (address.is_ipv6()) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
    return IN6_IS_ADDR_UNSPECIFIED(&v6->sin6_addr);
  }
  return reinterpret_cast<const sockaddr_in*>(&address.storage)->sin_addr.s_addr == INADDR_ANY;
}

}  // namespace

Result<std::string> new_secret(std::string_view kind, std::string_view domain,
                               const std::function<void(MutableByteView)>& random) {
  Bytes secret;
  if (kind == "dd") {
    secret.push_back(0xdd);
  } else if (kind == "ee") {
    if (domain.empty()) return Status::error("an ee secret needs the domain clients name");
    secret.push_back(0xee);
  } else if (kind != "plain") {
    return Status::error("secret kind \"" + std::string(kind) + "\": plain, dd or ee");
  }
  if (kind != "ee" && !domain.empty()) return Status::error("only ee secrets take a domain");
  const size_t key_at = secret.size();
  secret.resize(key_at + codecs::obfuscated::kSecretKeySize);
  // A plain secret starting with dd or ee would read as a dd or ee secret one byte short (and
  // be warned about): draw again.
  do {
    random(MutableByteView(secret.data() + key_at, codecs::obfuscated::kSecretKeySize));
  } while (key_at == 0 && (secret[0] == 0xdd || secret[0] == 0xee));
  secret.insert(secret.end(), domain.begin(), domain.end());
  const std::string hex = encode_hex(secret);
  // The same parser as the config: a domain that the config would refuse is refused here.
  if (auto parsed = codecs::obfuscated::Secret::from_text("secret", hex); !parsed) {
    return parsed.status();
  }
  return hex;
}

Result<std::string> proxy_links(const Config& config, std::string_view host) {
  std::string out;
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const ListenerConfig& l = config.listeners[i];
    if (l.secrets.empty()) continue;
    std::string server(host);
    if (server.empty()) {
      if (is_wildcard(l.address)) {
        return Status::error("listener[" + std::to_string(i) + "] (" + l.name + ") listens on " +
                             format_address(l.address.get()) +
                             ": pass --host with the address or name clients connect to");
      }
      server = format_host(l.address.get());
    }
    if (l.address.port() == 0) {
      return Status::error("listener[" + std::to_string(i) + "] (" + l.name +
                           ") has port 0 (chosen at startup): a link needs a fixed port");
    }
    const std::string port = std::to_string(l.address.port());
    out += "listener " + l.name + " (" + format_address(l.address.get()) + "):\n";
    for (const auto& secret : l.secrets) {
      const std::string query = "server=" + server + "&port=" + port + "&secret=" + secret.to_hex();
      out += "  " + secret.label + " (" +
             std::string(codecs::obfuscated::secret_kind_name(secret.kind)) + ")\n" +
             "    tg://proxy?" + query + "\n    https://t.me/proxy?" + query + "\n";
    }
  }
  if (out.empty()) {
    return Status::error(
        "no listener has secrets: a proxy link carries one (add secrets = "
        "[{ label = \"...\", secret = \"...\" }]; `mtedge secret` makes one)");
  }
  return out;
}

}  // namespace mtedge::gateway
