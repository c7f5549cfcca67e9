#include "gateway/admin/access.h"

#include <gtest/gtest.h>

namespace mtedge::gateway::admin {
namespace {

TEST(AdminAccess, TokensCompareWhole) {
  const struct {
    const char* a;
    const char* b;
    bool equal;
  } cases[] = {{"abc", "abc", true},
               {"abc", "abd", false},
               {"abc", "abcd", false},
               {"", "a", false},
               {"", "", true}};
  for (const auto& c : cases) EXPECT_EQ(tokens_equal(c.a, c.b), c.equal) << c.a << " " << c.b;
}

TEST(AdminAccess, BearerTokenIsTakenFromTheHeader) {
  const std::pair<const char*, const char*> cases[] = {
      {"Bearer xyz", "xyz"}, {"BEARER  xyz ", "xyz"}, {"Bearer ", ""}, {"Basic xyz", ""}, {"", ""},
      {"Bearerxyz", ""}};
  for (const auto& [header, token] : cases) EXPECT_EQ(bearer_token(header), token) << header;
}

TEST(AdminAccess, AnEmptyAllowListRefusesEveryone) {
  AccessPolicy policy;
  Request r;
  r.peer_family = AF_INET;
  r.peer_bytes = {127, 0, 0, 1};
  EXPECT_EQ(check_access(policy, r, false), Access::kForbidden);
  policy.allow.push_back(parse_cidr("127.0.0.1").value());
  EXPECT_EQ(check_access(policy, r, true), Access::kGranted);  // no token configured
  policy.token = std::string(1, 't');  // (assigning a literal trips g++ 12 -O3 -Wrestrict)
  EXPECT_EQ(check_access(policy, r, true), Access::kUnauthorized);
  EXPECT_EQ(check_access(policy, r, false), Access::kGranted);
  r.authorization = "Bearer t";
  EXPECT_EQ(check_access(policy, r, true), Access::kGranted);
}

}  // namespace
}  // namespace mtedge::gateway::admin
