// Which connections GET and DELETE /v1/connections act on, from the query string:
//   ip=1.2.3.4 | ip=10.0.0.0/8   the client's address, or a range holding it
//   transport=abridged            the whole transport path or one of its parts
//                                 ("obfuscated/intermediate" matches both words)
//   listener=NAME  secret=LABEL   exact
//   limit=N                       at most N listed (1..100000, default 1000; GET only)
// Every given filter must match. An unknown parameter or a bad value is an error naming it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "gateway/conn/connection_record.h"
#include "gateway/runtime/address.h"

namespace mtedge::gateway::admin {

struct ConnectionFilter {
  static constexpr size_t kDefaultLimit = 1000;
  static constexpr size_t kMaxLimit = 100000;

  std::optional<Cidr> ip;
  std::optional<std::string> transport;
  std::optional<std::string> listener;
  std::optional<std::string> secret;
  size_t limit = kDefaultLimit;

  // True when no filter (limit aside) is set: DELETE refuses to close everything.
  bool selects_all() const { return !ip && !transport && !listener && !secret; }
  bool matches(const ConnectionRecord& record) const;
};

// `query`: the part of the target after '?' (may be empty); %XX and '+' are decoded.
Result<ConnectionFilter> parse_connection_filter(std::string_view query);

// %XX and '+' decoded; nullopt for a bad escape.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace mtedge::gateway::admin
