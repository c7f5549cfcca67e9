#include "gateway/admin/access.h"

#include <openssl/crypto.h>

#include "crypto/hash.h"

namespace mtedge::gateway::admin {

bool tokens_equal(std::string_view a, std::string_view b) {
  const crypto::Sha256Digest da = crypto::sha256(as_bytes(a));
  const crypto::Sha256Digest db = crypto::sha256(as_bytes(b));
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return {};
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

Access check_access(const AccessPolicy& policy, const Request& request, bool needs_token) {
  if (request.peer_family == 0 ||
      !any_contains(policy.allow, request.peer_family, request.peer_bytes.data())) {
    return Access::kForbidden;
  }
  if (!needs_token || policy.token.empty()) return Access::kGranted;
  const std::string_view presented = bearer_token(request.authorization);
  if (presented.empty() || !tokens_equal(presented, policy.token)) return Access::kUnauthorized;
  return Access::kGranted;
}

}  // namespace mtedge::gateway::admin
