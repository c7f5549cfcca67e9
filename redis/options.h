// What a redis::Client is told: where Redis is, how to log in, and its limits. Filled from
// the gateway's [redis] section (docs/configuration.md) or by tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtedge::redis {

struct Address {
  std::string host;  // an IPv4 or IPv6 address (names are refused where Redis names a node)
  uint16_t port = 0;

  std::string text() const { return host + ":" + std::to_string(port); }
  // Whether `host` is an IPv4 or IPv6 literal. hiredis resolves a name with a blocking
  // getaddrinfo on the caller's loop, so a node named by the network (CLUSTER SLOTS, MOVED,
  // ASK) is used only when this holds.
  bool numeric() const;
  // "host:port" split at the last ':' (so "::1:6379" is host "::1"); port 1..65535.
  static std::optional<Address> parse(std::string_view text);
  bool operator==(const Address&) const = default;
};

struct ClientOptions {
  // Standalone: exactly one address. Cluster: seed nodes, any of which answers CLUSTER SLOTS.
  std::vector<Address> nodes;
  bool cluster = false;
  // AUTH on every (re)connect when `password` is set; with `user` too, AUTH user password
  // (Redis 6 ACL). SELECT db when db != 0 (standalone only: a cluster has only db 0).
  std::string user;
  std::string password;
  int64_t db = 0;
  // From connect() until AUTH/SELECT answered; a node that takes longer is dropped and retried.
  uint64_t connect_timeout_ms = 2000;
  // From command() until its reply; the callback then gets a timeout error and a late reply
  // is dropped.
  uint64_t command_timeout_ms = 2000;
  // Commands waiting for a connection (per node) or for the slot map; beyond it command()
  // fails at once.
  size_t max_queued_commands = 10000;
  // Reconnect delay: doubles from min to max per failed attempt, with jitter (a random
  // delay in [d/2, d]); back to min after a successful handshake.
  uint64_t reconnect_min_ms = 100;
  uint64_t reconnect_max_ms = 5000;
  // MOVED/ASK redirects one command may follow before it fails.
  unsigned max_redirects = 5;
};

}  // namespace mtedge::redis
