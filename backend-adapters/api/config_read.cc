#include "backend-adapters/api/config_read.h"

#include <fmt/format.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>

namespace mtedge::backend::config {

Status error_at(std::string_view path, std::string_view what) {
  return Status::error(fmt::format("{}: {}", path, what));
}

std::string key_path(std::string_view path, std::string_view key) {
  return fmt::format("{}.{}", path, key);
}

Result<int64_t> read_int(const toml::node& node, std::string_view path, int64_t min, int64_t max) {
  auto value = node.value_exact<int64_t>();
  if (!value) return error_at(path, "must be an integer");
  if (*value < min || *value > max) {
    return error_at(path, fmt::format("{} is out of range [{}, {}]", *value, min, max));
  }
  return *value;
}

Result<sockaddr_storage> resolve_host_port(std::string_view text, std::string_view noun) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::error(fmt::format("invalid {} \"{}\" (want [v6]:port)", noun, text));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return Status::error(fmt::format("invalid {} \"{}\" (want host:port)", noun, text));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  uint32_t port = 0;
  if (host.empty() || !parse_int(port_text, port) || port == 0 || port > 65535) {
    return Status::error(fmt::format("invalid {} \"{}\" (want host:port)", noun, text));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string host_z(host);
  const std::string port_z(port_text);
  int rc = getaddrinfo(host_z.c_str(), port_z.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Status::error(
        fmt::format("invalid {} \"{}\" (cannot resolve: {})", noun, text, gai_strerror(rc)));
  }
  sockaddr_storage out{};
  std::memcpy(&out, found->ai_addr, std::min<size_t>(found->ai_addrlen, sizeof out));
  freeaddrinfo(found);
  return out;
}

}  // namespace mtedge::backend::config
