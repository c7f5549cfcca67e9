#include "gateway/admin/access.h"

#include <gtest/gtest.h>

namespace mtedge::gateway::admin {
namespace {

TEST(AdminAccess, TokensCompareWhole) {
  EXPECT_TRUE(tokens_equal("abc", "abc"));
  EXPECT_FALSE(tokens_equal("abc", "abd"));
  EXPECT_FALSE(tokens_equal("abc", "abcd"));
  EXPECT_FALSE(tokens_equal("", "a"));
  EXPECT_TRUE(tokens_equal("", ""));
}

TEST(AdminAccess, BearerTokenIsTakenFromTheHeader) {
  EXPECT_EQ(bearer_token("Bearer xyz"), "xyz");
  EXPECT_EQ(bearer_token("BEARER  xyz "), "xyz");
  EXPECT_EQ(bearer_token("Bearer "), "");
  EXPECT_EQ(bearer_token("Basic xyz"), "");
  EXPECT_EQ(bearer_token(""), "");
  EXPECT_EQ(bearer_token("Bearerxyz"), "");
}

TEST(AdminAccess, AnEmptyAllowListRefusesEveryone) {
  AccessPolicy policy;
  Request r;
  r.peer_family = AF_INET;
  r.peer_bytes = {127, 0, 0, 1};
  EXPECT_EQ(check_access(policy, r, false), Access::kForbidden);
  policy.allow.push_back(parse_cidr("127.0.0.1").value());
  EXPECT_EQ(check_access(policy, r, true), Access::kGranted);  // no token configured
  policy.token = "t";
  EXPECT_EQ(check_access(policy, r, true), Access::kUnauthorized);
  EXPECT_EQ(check_access(policy, r, false), Access::kGranted);
  r.authorization = "Bearer t";
  EXPECT_EQ(check_access(policy, r, true), Access::kGranted);
}

}  // namespace
}  // namespace mtedge::gateway::admin
