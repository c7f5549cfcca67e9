#include "gateway/admin/connection_filter.h"

#include <arpa/inet.h>

#include "backend-adapters/api/config_section.h"

namespace mtedge::gateway::admin {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `ip` (a textual IPv4 or IPv6 address) inside `range`.
bool range_holds(const Cidr& range, const std::string& ip) {
  std::array<uint8_t, 16> bytes{};
  if (inet_pton(AF_INET, ip.c_str(), bytes.data()) == 1) {
    return range.contains(AF_INET, bytes.data());
  }
  if (inet_pton(AF_INET6, ip.c_str(), bytes.data()) == 1) {
    return range.contains(AF_INET6, bytes.data());
  }
  return false;
}

bool transport_matches(std::string_view wanted, std::string_view path) {
  if (wanted == path) return true;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    if (path.substr(0, slash) == wanted) return true;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return false;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

bool ConnectionFilter::matches(const ConnectionRecord& r) const {
  if (ip && !range_holds(*ip, r.client_ip)) return false;
  if (transport && !transport_matches(*transport, r.transport)) return false;
  if (listener && *listener != r.listener) return false;
  if (secret && *secret != r.secret) return false;
  return true;
}

Result<ConnectionFilter> parse_connection_filter(std::string_view query) {
  ConnectionFilter filter;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::optional<std::string> key = percent_decode(pair.substr(0, eq));
    const std::optional<std::string> value =
        percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!key || !value) return Status::error("bad %-escape in the query");
    if (value->empty()) return Status::error(*key + ": empty value");
    if (*key == "ip") {
      auto range = parse_cidr(*value);
      if (!range) return Status::error("ip: " + range.message());
      filter.ip = range.value();
    } else if (*key == "transport") {
      filter.transport = *value;
    } else if (*key == "listener") {
      filter.listener = *value;
    } else if (*key == "secret") {
      filter.secret = *value;
    } else if (*key == "limit") {
      if (!backend::config::parse_int(*value, filter.limit) || filter.limit < 1 ||
          filter.limit > ConnectionFilter::kMaxLimit) {
        return Status::error("limit: expected 1.." + std::to_string(ConnectionFilter::kMaxLimit));
      }
    } else {
      return Status::error(*key +
                           ": unknown parameter (known: ip, transport, listener, secret, limit)");
    }
  }
  return filter;
}

}  // namespace mtedge::gateway::admin
