// Who may use the management API: the address allow-list, then the bearer token.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/admin/message.h"
#include "gateway/runtime/address.h"

namespace mtedge::gateway::admin {

struct AccessPolicy {
  std::vector<Cidr> allow;       // peers outside every range are closed at accept (403 here)
  std::string token;             // "" = no token: every endpoint is open to allowed peers
  bool protect_metrics = false;  // with a token: /metrics, /health, /ready need it too
};

enum class Access { kGranted, kForbidden, kUnauthorized };

// `needs_token`: the endpoint is one the token guards (every /v1/ endpoint; the open ones
// under protect_metrics). An empty allow-list refuses everyone.
Access check_access(const AccessPolicy& policy, const Request& request, bool needs_token);

// Equal strings, in time that depends on neither content nor where they differ (both are
// hashed first, so not on the length either).
bool tokens_equal(std::string_view a, std::string_view b);

// The token of an `Authorization: Bearer <token>` value ("" when it is not one). The scheme
// is matched case-insensitively.
std::string_view bearer_token(std::string_view authorization);

}  // namespace mtedge::gateway::admin
