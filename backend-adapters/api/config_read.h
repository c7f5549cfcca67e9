// Helpers for adapters reading their own `[backend.<type>]` block (AdapterFactory::configure):
// every error names the key path ("backend.relay.upstream: invalid address \"x\"").
#pragma once

#include <sys/socket.h>
#include <toml++/toml.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace mtedge::backend::config {

// "<path>: <what>".
Status error_at(std::string_view path, std::string_view what);
// "<path>.<key>".
std::string key_path(std::string_view path, std::string_view key);

// An integer in [min, max], else an error naming `path`.
Result<int64_t> read_int(const toml::node& node, std::string_view path, int64_t min, int64_t max);

template <class T>
Status read_into(const toml::node& node, std::string_view path, int64_t min, int64_t max, T& out) {
  auto value = read_int(node, path, min, max);
  if (!value) return value.status();
  out = static_cast<T>(*value);
  return Status::ok();
}

// Whole-string decimal parse (no sign for unsigned T, no spaces, no trailing bytes).
template <class T>
bool parse_int(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// "host:port" or "[v6]:port": the host is an IP literal or a name resolved now (at startup;
// the first address found is used). Errors read `invalid <noun> "<text>" (...)`.
Result<sockaddr_storage> resolve_host_port(std::string_view text, std::string_view noun);

}  // namespace mtedge::backend::config
